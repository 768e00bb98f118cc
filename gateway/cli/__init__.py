"""The edi-gateway command line."""
