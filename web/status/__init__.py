"""The public status page (/status), its Atom feed and its e-mail subscriptions: no sign-in,
and nothing about customers or tickets (services/status_page.py reads only own services and
published incidents)."""
