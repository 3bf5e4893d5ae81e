"""The e-mail channel: parsing (``parse``), the adapter (``adapter.take``), the SMTP receiver
(``smtp``), the IMAP poller (``imap``) and replies mailed to the customer (``outbound``)."""
