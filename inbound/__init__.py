"""Mail in, read without side effects: `message.parse` turns a received mail's bytes into an
InboundMail (sender, threading ids, text for display, sanitised HTML, files, and whether a
machine wrote it); `matching` finds the ticket a reply names. No I/O and no database here:
the mailbox fetcher and what it does with a mail live in activities and services
(docs/inbound-mail.md)."""
