"""Incoming mail: parsing (pure), threading (pure), ingestion and mailbox sources."""
