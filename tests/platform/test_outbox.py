"""The email outbox: queued with the change, sent once, retried on failure."""

from datetime import timedelta

from app.common.clock import now
from app.notifications.models import OutboxEmail
from app.notifications.services import MAX_ATTEMPTS, Attachment, queue_email, send_pending


def test_queue_is_idempotent_and_sending_happens_once(db):
    queue_email(
        to="a@example.com",
        subject="เชิญสัมภาษณ์",
        body="...",
        dedupe_key="k1",
        attachments=[Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR")],
    )
    queue_email(to="a@example.com", subject="again", body="...", dedupe_key="k1")
    db.session.commit()
    assert db.session.query(OutboxEmail).count() == 1
    sent = []
    assert send_pending(deliver=sent.append)["sent"] == 1
    assert send_pending(deliver=sent.append)["sent"] == 0  # never twice
    assert len(sent) == 1 and sent[0].attachments[0]["filename"] == "invite.ics"


def test_failures_are_retried_with_backoff_then_given_up(db):
    queue_email(to="b@example.com", subject="s", body="b", dedupe_key="k2")
    db.session.commit()

    def broken(message):
        raise ConnectionRefusedError("smtp down")

    assert send_pending(deliver=broken)["retry"] == 1
    msg = db.session.query(OutboxEmail).one()
    assert msg.status == "pending" and "smtp down" in msg.last_error
    assert send_pending(deliver=broken)["retry"] == 0  # not due yet
    t = now()
    for _ in range(MAX_ATTEMPTS):
        t += timedelta(hours=2)
        send_pending(deliver=broken, at=t)
    assert msg.status == "failed" and msg.attempts == MAX_ATTEMPTS


def test_a_claimed_message_is_not_sent_by_a_second_sender(db):
    queue_email(to="c@example.com", subject="s", body="b", dedupe_key="k3")
    db.session.commit()
    seen = []

    def second_sender_runs_meanwhile(message):
        seen.append(message.id)
        assert send_pending(deliver=seen.append)["sent"] == 0

    send_pending(deliver=second_sender_runs_meanwhile)
    assert seen == [db.session.query(OutboxEmail).one().id]


def test_cli_sends_and_logs_in_development(runner, db):
    queue_email(to="d@example.com", subject="s", body="b", dedupe_key="k4")
    db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "sent 1" in result.output
