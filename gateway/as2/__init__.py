"""AS2 (RFC 4130): receiving with signed MDNs, sending with MDN verification, certificates.

Pure message code (``mime``, ``cms``, ``inbound``, ``outbound``, ``mdn``) takes bytes and
returns bytes or typed results; ``receiver``/``http`` and ``client``/``async_mdn`` are the
thin I/O layers. Errors: see :mod:`gateway.as2.errors`.
"""
