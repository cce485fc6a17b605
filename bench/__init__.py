"""Load scenarios against the local stack (`make bench` = `python -m bench`)."""
