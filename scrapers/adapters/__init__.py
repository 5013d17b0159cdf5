"""One module per CMS family, each with ``discover(source, client) -> AsyncIterator[Candidate]``."""
