"""What people can do, one function per thing: the JSON API and the console pages both call
these, with a Principal in and domain errors (api/errors.py) out."""
