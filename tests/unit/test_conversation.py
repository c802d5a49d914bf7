"""Reconciling client history with the stored conversation."""

from __future__ import annotations

from agentllm.provider.conversation import (
    Plan,
    StoredRun,
    needs_stored_runs,
    reconcile,
    spelled_out,
)
from agentllm.provider.types import Turn

U1, A1, U2, A2, U3 = (
    Turn("user", "u1"),
    Turn("assistant", "a1"),
    Turn("user", "u2"),
    Turn("assistant", "a2"),
    Turn("user", "u3"),
)
RUN1 = StoredRun("r1", (U1, A1))
RUN2 = StoredRun("r2", (U2, A2))


def test_no_client_history_uses_the_stored_conversation():
    assert reconcile([RUN1, RUN2], ()) == Plan(use_stored_history=True)


def test_full_history_matching_the_store_is_replayed_not_recorded_again():
    assert reconcile([RUN1, RUN2], (U1, A1, U2, A2)) == Plan(
        use_stored_history=False, replay=(U1, A1, U2, A2)
    )


def test_history_unknown_to_the_store_is_recorded_with_the_run():
    assert reconcile([], (U1, A1)) == Plan(use_stored_history=False, record=(U1, A1))
    assert reconcile([RUN1], (U1, A1, U2, A2)) == Plan(
        use_stored_history=False, replay=(U1, A1), record=(U2, A2)
    )


def test_regenerating_the_last_answer_supersedes_its_run():
    # The client drops a2 and asks u2 again.
    assert reconcile([RUN1, RUN2], (U1, A1)) == Plan(
        use_stored_history=False, replay=(U1, A1), superseded=("r2",)
    )


def test_editing_an_earlier_message_supersedes_it_and_everything_after():
    edited = Turn("user", "u1 edited")
    assert reconcile([RUN1, RUN2], (edited, A1)) == Plan(
        use_stored_history=False, record=(edited, A1), superseded=("r1", "r2")
    )


def test_whitespace_differences_are_not_edits():
    assert reconcile([RUN1], (Turn("user", " u1\n"), A1)).superseded == ()


def test_full_history_client_sending_one_message_starts_the_conversation_over():
    assert reconcile([RUN1, RUN2], (), full_history=True) == Plan(
        use_stored_history=False, superseded=("r1", "r2")
    )


def test_the_store_is_read_only_when_the_client_sent_history_or_always_sends_it():
    assert not needs_stored_runs(())
    assert needs_stored_runs((), full_history=True)
    assert needs_stored_runs((U1, A1))


def test_a_reply_differing_only_in_line_breaks_is_the_same_reply():
    # A reply that ran a tool comes back with the tool's block taken out: the text around it
    # is the same words, though not the same line breaks.
    stored = StoredRun("r1", (U1, Turn("assistant", "Let me check.\nThe answer is 3.")))
    sent = (U1, Turn("assistant", "Let me check.\n\n\n\nThe answer is 3."))
    assert reconcile([stored], sent).superseded == ()


def test_turns_with_the_same_images_match_and_a_changed_image_is_an_edit():
    from agentllm.provider.types import ImageInput

    cat = ImageInput(media_type="image/png", sha256="a" * 64, size=10, data=b"bytes")
    stored_cat = ImageInput(media_type="image/png", sha256="a" * 64, size=10)
    dog = ImageInput(media_type="image/png", sha256="b" * 64, size=10, data=b"other")
    run = StoredRun("r1", (Turn("user", "look", (stored_cat,)), A1))
    sent = (Turn("user", "look", (cat,)), A1)
    assert reconcile([run], sent) == Plan(use_stored_history=False, replay=sent)
    changed = (Turn("user", "look", (dog,)), A1)
    assert reconcile([run], changed) == Plan(
        use_stored_history=False, record=changed, superseded=("r1",)
    )
    dropped = (Turn("user", "look"), A1)
    assert reconcile([run], dropped).superseded == ("r1",)


def test_a_runner_that_reads_no_history_gets_the_stored_turns_replayed():
    stored = [
        StoredRun("r1", (Turn("user", "a"), Turn("assistant", "A"))),
        StoredRun("r2", (Turn("user", "b"), Turn("assistant", "B"))),
    ]
    plan = spelled_out(reconcile(stored, []), stored)
    assert plan == Plan(
        use_stored_history=False,
        replay=(
            Turn("user", "a"),
            Turn("assistant", "A"),
            Turn("user", "b"),
            Turn("assistant", "B"),
        ),
    )
    sent = [Turn("user", "a"), Turn("assistant", "A")]
    assert spelled_out(reconcile(stored, sent), stored) == reconcile(stored, sent)
