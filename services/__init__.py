"""What a person or a machine can do, once: the JSON routes and the pages both call these."""
