# Nothing but a comment. # ERROR: Empty scenario file
