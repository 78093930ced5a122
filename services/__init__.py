"""What a person or a machine can do, once: the JSON routes and the pages both call these.

Each function takes typed inputs and the acting `Principal`, checks who may do it, and answers
with the domain errors of api/errors.py, so a refusal reads the same on a page and in the API.
"""
