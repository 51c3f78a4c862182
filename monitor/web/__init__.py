"""Read-only web pages, JSON API, Atom feed and unsubscribe links (see ``app``)."""
