"""The import's own records: the code maps operations keep (``imports.code_maps``) and the
extract uploads made in the browser (``imports.uploads``)."""
