"""EDI and B2B partner gateway for Odoo: X12 and EDIFACT over AS2 and SFTP."""

__version__ = "0.1.0"
