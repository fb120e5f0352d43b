"""Email through an outbox: written in the transaction of the change, sent once by a sender."""
