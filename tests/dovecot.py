"""Dovecot fixture; filled in by the inbound tests."""
