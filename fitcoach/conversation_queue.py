"""Each conversation's inbox, processed in arrival order by one worker at a time.

A worker that takes a conversation (a lease: Redis across replicas, in-process otherwise)
processes that conversation's unfinished inbox rows oldest first, whichever replica accepted
them, until none is left. A replica that finds the conversation taken leaves its message to
the holder and only checks now and then that it was picked up. The inbox claim is the second
guard: only the oldest unfinished row of a conversation can be claimed, and a live claim is
waited for, so the order holds even while Redis is down."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from pydantic import ValidationError

from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.coordination import Coordinator, Lease
from fitcoach.metrics import ERRORS, HAND_BACKS
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import Inbox, NextRow, claim_next
from fitcoach.storage.models import utcnow
from fitcoach.storage.outage import log_job_failure, when_reachable

log = structlog.get_logger(__name__)

Deliver = Callable[[InboundMessage, list[OutboundMessage]], Awaitable[None]]
Runner = Callable[[InboundMessage], Awaitable[list[OutboundMessage]]]
TurnStarted = Callable[[InboundMessage], None]

POLL_S = 0.05
"""First wait of a worker that found its conversation taken; it doubles up to MAX_POLL_S."""
MAX_POLL_S = 1.0
MAX_PENDING_SENDERS = 10_000
DELIVERY_TIMEOUT_S = 120.0
MAX_TURN_ATTEMPTS = 5
"""Claims of one message after which its turn is not run again: a message that kills its
worker, or whose outcome cannot be recorded, would otherwise hold its conversation forever."""
"""A send still waiting after this (platform down, flood wait) is left to the recovery sweep."""
CHECK_EVERY = 3
"""Polls between database checks that the holder took the waiting message."""
SHARE_PROBE_S = 0.1
"""How often a worker reports its load and reads the others' (load sharing)."""
LOAD_TTL_S = 1.0
"""A worker that has not reported for this long counts as stopped."""
SHARE_SLACK = 0.1
SHARE_MARGIN = 1.0
"""A worker holding more than mean × (1 + SHARE_SLACK) + SHARE_MARGIN conversations is over
its share: it hands conversations back and takes no new ones while another worker lives."""
HAND_BACK_EVERY_S = 0.05
"""At most one conversation handed back per this many seconds (bounded churn)."""


class LeaseKeeper:
    """A lease renewed in the background; ``lost`` once another worker holds it."""

    def __init__(self) -> None:
        self.lost = False


@contextlib.asynccontextmanager
async def every(period_s: float, action: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    """Run ``action`` every ``period_s`` seconds while the block runs, whatever the block
    waits for (the database pool, Telegram's budget, a slot); stopped when it ends."""

    running = True

    async def repeat() -> None:
        # The flag, not only the cancellation, ends the loop: a cancellation that lands while
        # a client library converts its own timeout can be swallowed, and the loop would then
        # run its action (renew a released lease) every period for the rest of the process.
        while True:
            await asyncio.sleep(period_s)
            if not running:
                return
            await action()

    task = asyncio.create_task(repeat())
    try:
        yield
    finally:
        running = False
        task.cancel()
        # Never wait long here: an action stuck in I/O must not hold the conversation.
        await asyncio.wait({task}, timeout=5)


@contextlib.asynccontextmanager
async def kept(lease: Lease, period_s: float) -> AsyncIterator[LeaseKeeper]:
    """Renew ``lease`` every ``period_s`` seconds while the block runs."""
    keeper = LeaseKeeper()

    async def renew() -> None:
        if not keeper.lost and not await lease.renew():
            keeper.lost = True

    async with every(period_s, renew):
        yield keeper


def backoff(polls: int) -> float:
    """The wait before poll number ``polls`` (1-based) of a taken conversation."""
    return float(min(MAX_POLL_S, POLL_S * 2 ** (polls - 1)))


@dataclass(frozen=True)
class ConversationKey:
    """One conversation of one channel: the unit of ordering."""

    channel: str
    conversation_id: str

    @classmethod
    def of(cls, message: InboundMessage) -> ConversationKey:
        """The conversation this message belongs to."""
        return cls(message.channel, message.conversation_id)

    @property
    def lock_name(self) -> str:
        """The coordinator key (also the agent's thread id)."""
        return f"{self.channel}:{self.conversation_id}"


class ConversationQueue:
    """Runs accepted messages conversation by conversation, in order, exactly once each."""

    def __init__(
        self,
        database: Database,
        coordinator: Coordinator,
        run: Runner,
        *,
        give_up: Runner | None = None,
        worker_id: str,
        lease_s: float,
        max_concurrent_turns: int,
        outage_wait_s: float = 60.0,
    ) -> None:
        self.database = database
        self.coordinator = coordinator
        self.run = run
        self.give_up = give_up
        self.worker_id = worker_id
        self.lease_s = lease_s
        self.outage_wait_s = outage_wait_s
        self.deliverers: dict[str, Deliver] = {}
        self.turn_started: dict[str, TurnStarted] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        # Senders of messages accepted here; one run by another replica is never popped here,
        # so the oldest are dropped beyond a bound (its reply went out elsewhere long ago).
        self._deliver_once: OrderedDict[tuple[str, str], Deliver] = OrderedDict()
        self._drainers: dict[ConversationKey, asyncio.Task[None]] = {}
        self._kicks: dict[ConversationKey, int] = {}
        self._changed: dict[ConversationKey, asyncio.Event] = {}
        self._slots = asyncio.Semaphore(max_concurrent_turns)
        # Load sharing between worker processes (see share_load).
        self._held: set[ConversationKey] = set()
        self._hand_back: Callable[[ConversationKey], Awaitable[bool]] | None = None
        self._handing_back: set[ConversationKey] = set()
        self._share_limit: float | None = None
        self._peers = 0
        self._last_hand_back = 0.0
        self._hands_back_every_turn = False
        self.share_margin = SHARE_MARGIN
        self.hand_back_every_s = HAND_BACK_EVERY_S

    async def share_load(self, hand_off: Callable[[ConversationKey], Awaitable[bool]]) -> None:
        """Share the load with the other workers (until cancelled). A conversation stays with
        the worker that took it while it has messages, so a burst can leave one worker with
        more than its share, and it stays that way. Every worker reports how many
        conversations it holds; one holding more than its share hands a conversation whose
        turn just ended back to the shared queue with ``hand_off`` (before its next message
        is claimed), and takes no new work while another worker lives (``takes_more``), so
        the others take it."""
        self._hand_back = hand_off
        try:
            while True:
                loads = await self.coordinator.report_load(
                    self.worker_id, len(self._held), LOAD_TTL_S
                )
                if loads:
                    mean = sum(loads) / len(loads)
                    self._share_limit = mean * (1 + SHARE_SLACK) + self.share_margin
                    self._peers = len(loads) - 1
                else:  # unknown (Redis failing): every worker works on its own
                    self._share_limit, self._peers = None, 0
                await asyncio.sleep(SHARE_PROBE_S)
        finally:
            self._hand_back = None
            self._share_limit, self._peers = None, 0

    def _over_share(self) -> bool:
        return self._share_limit is not None and len(self._held) > self._share_limit

    def takes_more(self) -> bool:
        """False while this worker holds more than its share and another worker lives."""
        return not (self._peers > 0 and self._over_share())

    def hand_back_every_turn(self, hand_off: Callable[[ConversationKey], Awaitable[bool]]) -> None:
        """A web process: a conversation it runs itself (the hand-off to the workers failed:
        Redis was down) goes back to the workers with ``hand_off`` after each turn, as soon
        as that works again, instead of staying here, behind the acks, while it has
        messages (after a Redis restart the web processes ran 72 % of a soak's turns)."""
        self._hand_back = hand_off
        self._hands_back_every_turn = True

    def _should_hand_back(self) -> bool:
        if self._hand_back is not None and self._hands_back_every_turn:
            return True
        if self._hand_back is None or not self._over_share():
            return False
        now = asyncio.get_running_loop().time()
        if now - self._last_hand_back < self.hand_back_every_s:
            return False
        self._last_hand_back = now
        return True

    @property
    def stale_before(self) -> timedelta:
        """Age after which a claim whose worker stopped renewing it is taken over."""
        return timedelta(seconds=self.lease_s)

    def enqueue(self, message: InboundMessage, deliver: Deliver | None = None) -> None:
        """Process this accepted message in the background; ``deliver`` sends its reply."""
        if deliver is not None:
            self._deliver_once[(message.channel, message.message_id)] = deliver
            while len(self._deliver_once) > MAX_PENDING_SENDERS:
                self._deliver_once.popitem(last=False)
        self.kick(ConversationKey.of(message))

    def kick(self, key: ConversationKey) -> None:
        """Make sure a worker of this process drains the conversation (or sees it taken)."""
        self._kicks[key] = self._kicks.get(key, 0) + 1
        if key not in self._drainers:
            task = asyncio.create_task(self._drain(key))
            self._drainers[key] = task
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def run_now(self, message: InboundMessage) -> list[OutboundMessage] | None:
        """Process this accepted message (and any older one of its conversation) before
        returning its reply; None when another worker processed it (its reply is stored)."""
        key = ConversationKey.of(message)
        polls = 0
        while True:
            lease = await self.coordinator.try_lock(key.lock_name, self.lease_s)
            if lease is not None:
                try:
                    return await self._work(key, lease, until=message.message_id)
                finally:
                    await lease.release()
                    self._notify(key)
                    if await self.coordinator.take_waiting(key.lock_name):
                        self.kick(key)  # work left for this holder while it ran
            polls += 1
            if polls % CHECK_EVERY == 0 and await self._finished(message):
                return None
            await self._pause(key, backoff(polls))

    async def _drain(self, key: ConversationKey) -> None:
        polls = 0
        try:
            while True:
                seen = self._kicks.get(key, 0)
                lease = await self.coordinator.try_lock(key.lock_name, self.lease_s)
                if (
                    lease is None
                    and polls == 0
                    and await self.coordinator.mark_waiting(key.lock_name, self.lease_s)
                ):
                    # The holder looks for the mark after it releases the lock; one more try
                    # covers a release between the first try and the mark. No polling.
                    lease = await self.coordinator.try_lock(key.lock_name, self.lease_s)
                    if lease is None:
                        if self._kicks.get(key, 0) == seen:
                            return
                        continue  # a message arrived meanwhile: mark again for it
                if lease is None:  # the mark could not be stored (Redis failing): poll
                    polls += 1
                    if polls % CHECK_EVERY == 0 and not await self._waiting(key):
                        return  # the holder took everything of this conversation
                    await self._pause(key, backoff(polls))
                    continue
                polls = 0
                self._held.add(key)
                try:
                    await self._work(key, lease)
                finally:
                    self._held.discard(key)
                    await lease.release()
                    self._notify(key)
                if key in self._handing_back:
                    self._handing_back.discard(key)
                    # Stop being this conversation's drainer first: this process may take
                    # the hand-off itself, and its kick must then start a new drainer.
                    if self._drainers.get(key) is asyncio.current_task():
                        del self._drainers[key]
                        self._kicks.pop(key, None)
                    hand_off = self._hand_back
                    if hand_off is None or not await hand_off(key):
                        self.kick(key)  # not handed back (Redis failing): drain it here
                    else:
                        HAND_BACKS.inc()
                    return
                if await self.coordinator.take_waiting(key.lock_name):
                    continue  # another worker found the conversation taken and left it to us
                if self._kicks.get(key, 0) == seen:
                    return  # nothing arrived while draining
        except Exception:
            ERRORS.labels("queue").inc()
            log.exception("conversation_drain_failed", channel=key.channel)
        finally:
            if self._drainers.get(key) is asyncio.current_task():
                del self._drainers[key]
                self._kicks.pop(key, None)

    async def _work(
        self, key: ConversationKey, lease: Lease, until: str | None = None
    ) -> list[OutboundMessage] | None:
        """Process the conversation's unfinished rows in order while holding its lease; stop
        after ``until`` and return its replies (delivered by the caller). A drain stops after
        the turn in progress when the lease went to another worker."""
        sent: int | None = None  # the row whose reply went out: recorded with the next claim
        previous: int | None = None  # this drain's last row, sent or not (never waited for)
        polls = 0
        async with kept(lease, self.lease_s / 3) as keeper:
            while True:
                if keeper.lost and until is None:
                    await self.record_delivered(sent)
                    return None
                if sent is not None and until is None and self._should_hand_back():
                    await self.record_delivered(sent)
                    self._handing_back.add(key)
                    return None
                claim = self._new_claim()
                row = await self._claim_next(key, claim, sent, previous)
                sent = None
                if row is None:
                    return None
                if row.payload is None:  # the oldest row is with another live worker: wait
                    polls += 1
                    await self._pause(key, backoff(polls + 1))
                    continue
                polls = 0
                try:
                    message = InboundMessage.model_validate_json(row.payload)
                except ValidationError:
                    await self._drop_unreadable(key.channel, row)
                    continue
                previous = row.id
                async with self._claim_renewed(row.id, claim):
                    if row.attempts > MAX_TURN_ATTEMPTS and self.give_up is not None:
                        log.error("turn_given_up", channel=key.channel, attempts=row.attempts)
                        replies = await self.give_up(message)
                    else:
                        replies = await self._run(message)
                    self._notify(key)
                    if message.message_id == until:
                        return replies
                    outcome = await self.deliver(message, replies)
                if outcome:
                    sent = row.id
                elif outcome is False:
                    await self.leave_to_sweep(row.id, claim)

    async def deliver(self, message: InboundMessage, replies: list[OutboundMessage]) -> bool | None:
        """Send a processed message's reply; True when sent (the caller records it), False
        when the send failed (the recovery sweep sends it again), None when this process has
        no way to send it (a caller waiting in run_now, here or in another replica, takes
        it)."""
        deliver = self._deliver_once.pop(
            (message.channel, message.message_id), None
        ) or self.deliverers.get(message.channel)
        if deliver is None:
            return None
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT_S):
                await deliver(message, replies)
        except Exception:
            ERRORS.labels("delivery").inc()
            log.exception("delivery_failed", channel=message.channel)
            return False
        return True

    def _new_claim(self) -> str:
        """A label for one claim attempt (stored as the row's ``claimed_by``): a retry of that
        very claim, whose first answer was lost with the connection, recognises the row as its
        own, while no other drain (of this process or another) ever does."""
        return f"{self.worker_id}:{uuid.uuid4().hex[:16]}"

    async def _claim_next(
        self,
        key: ConversationKey,
        claim: str,
        sent: int | None = None,
        previous: int | None = None,
    ) -> NextRow | None:
        """Record row ``sent`` as delivered and claim the conversation's next row, in one
        transaction (one statement on PostgreSQL), labelled ``claim``, once no other claim is
        still sending an earlier reply (``previous``: this drain's own last row); tried again
        while the database is down."""
        return await when_reachable(
            self.outage_wait_s,
            lambda: claim_next(
                self.database,
                key.channel,
                key.conversation_id,
                claim,
                utcnow() - self.stale_before,
                delivered=sent,
                previous=previous,
            ),
        )

    async def _run(self, message: InboundMessage) -> list[OutboundMessage]:
        async with self._slots:
            started = self.turn_started.get(message.channel)
            if started is not None:
                try:
                    started(message)
                except Exception:  # a "typing…" hint must never stop the turn
                    log.warning("turn_started_hook_failed", channel=message.channel)
            return await self.run(message)

    @contextlib.asynccontextmanager
    async def _claim_renewed(self, row_id: int, claim: str) -> AsyncIterator[None]:
        """Keep the row's claim fresh while the turn runs and its reply is sent (a send can
        wait long for Telegram's budget)."""

        async def renew() -> None:
            try:
                async with self.database.session(single_statement=True) as session:
                    await Inbox(session).renew(row_id, claim)
            except Exception:
                log.warning("claim_renewal_failed")

        async with every(self.lease_s / 3, renew):
            yield

    async def leave_to_sweep(self, row_id: int, claim: str) -> None:
        """A reply that could not be sent: end its claim now, so that the recovery sweep sends
        it again at its next pass and no other drain of the conversation waits for it (a
        claim renewed within the lease counts as still sending)."""
        try:
            async with self.database.session(single_statement=True) as session:
                await Inbox(session).end_claim(row_id, claim)
        except Exception as error:  # the claim then ends by itself, after the lease
            log_job_failure(log, "claim_end_failed", error)

    async def record_delivered(self, row_id: int | None) -> None:
        if row_id is None:
            return

        async def mark() -> None:
            async with self.database.session(single_statement=True) as session:
                await Inbox(session).mark_row_delivered(row_id)

        await when_reachable(self.outage_wait_s, mark)

    async def _drop_unreadable(self, channel: str, row: NextRow) -> None:
        log.error("inbox_row_unreadable", channel=channel)
        async with self.database.session() as session:
            await Inbox(session).finish(
                channel, row.message_id or "", user_id=None, status="unreadable", reply="[]"
            )

    async def _waiting(self, key: ConversationKey) -> bool:
        """True while a row of this conversation is still unclaimed."""
        async with self.database.session() as session:
            row = await Inbox(session).next_in_conversation(key.channel, key.conversation_id)
        return row is not None and row.status == "received"

    async def _finished(self, message: InboundMessage) -> bool:
        async with self.database.session() as session:
            row = await Inbox(session).get(message.channel, message.message_id)
        return row is None or row.status not in ("received", "processing")

    async def _pause(self, key: ConversationKey, timeout: float = POLL_S) -> None:
        """Sleep until this process changes the conversation, or the timeout."""
        event = self._changed.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def _notify(self, key: ConversationKey) -> None:
        event = self._changed.pop(key, None)
        if event is not None:
            event.set()
