"""``qiterm check``: a conformance report of a module against the TCP/IP application note."""
