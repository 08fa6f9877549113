"""The transactional outbox: every mail is a row written with the change that causes it."""
