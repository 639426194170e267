"""ConversationService: the one place that joins channels and the agent.

InboundMessage → inbox (stored first; duplicates dropped) → the conversation's queue (one
worker per conversation across replicas, oldest message first) → user from the verified
channel identity → agent → OutboundMessage(s) → delivered, and the delivery recorded.
Every accepted message gets exactly one reply, also when the agent or Redis fails; work of a
replica that died is taken over once its lease expires, and a reply it stored but never sent
is sent by the recovery sweep."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.access import (
    AccessPolicy,
    create_link_code,
    parse_link_command,
    redeem_link_code,
)
from fitcoach.admin.personality_store import get_personality
from fitcoach.admin.prompt_service import missing_facts
from fitcoach.agent.coach import AgentReply, AudioClip, CoachAgent
from fitcoach.agent.context import CoachContext
from fitcoach.agent.tool_replay import tool_journal
from fitcoach.channels.base import Attachment, Button, InboundMessage, OutboundMessage
from fitcoach.conversation_queue import (
    SHARE_PROBE_S,
    ConversationKey,
    ConversationQueue,
    Deliver,
    TurnStarted,
)
from fitcoach.coordination import Coordinator, LocalCoordinator
from fitcoach.memory import MemoryExtractor, MemoryService
from fitcoach.memory.outage import or_if_memory_down
from fitcoach.metrics import DUPLICATES, ERRORS, IN_FLIGHT, MESSAGE_LATENCY, MESSAGES
from fitcoach.privacy import (
    CANCELLED,
    DELETE_QUESTION,
    DELETED,
    PrivacyService,
    parse_privacy_command,
)
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import FinishedTurn, Inbox, finish_turn
from fitcoach.storage.inbox_writer import InboxWriter
from fitcoach.storage.media import MediaStore
from fitcoach.storage.models import User, utcnow
from fitcoach.storage.outage import log_job_failure, when_reachable
from fitcoach.storage.person_lookup import create_person, find_person, find_person_at_turn
from fitcoach.storage.repositories import UserDirectory
from fitcoach.storage.tool_effects import purge_tool_effects

log = structlog.get_logger(__name__)


class TurnNotRecorded(Exception):
    """A turn's outcome could not be stored: its reply is not sent, and the message is run
    again once its claim runs out (sending now would answer it twice)."""


FAILURE_REPLY = (
    "Sorry, something went wrong on my side and I couldn't process that. Nothing was lost; "
    "please try again in a moment."
)
RATE_LIMITED_REPLY = (
    "You're sending messages faster than I can coach! Give me a few seconds and try again."
)
LINK_CODE = (
    "Your link code is {code}. Send “/link {code}” from your other chat app within 15 minutes "
    "and I'll treat both as you: history, plans and memory come along."
)
LINKED = "Linked! This chat now shares your history, plans and memory with your other account."
LINK_FAILED = (
    "That link code is unknown or has expired. Send /link in your other app for a new one."
)

TOOL_EFFECT_RETENTION = timedelta(days=2)
"""How long a writing tool call's result is kept against a rerun of its turn: far beyond
any lease or outage wait, so a turn interrupted before a weekend-long outage still writes
once when it is run again."""
TOOL_EFFECT_PURGE_EVERY_S = 600.0

DELETE_POSTPONED = (
    "I couldn't delete your data just now: part of my storage (memories) is unreachable, so "
    "I deleted nothing rather than half of it. Please send /delete again in a few minutes."
)
EXPORT_POSTPONED = (
    "I couldn't put your export together just now: part of my storage (memories) is "
    "unreachable. Please send /export again in a few minutes."
)

Gate = tuple[AgentReply, str]
"""A reply given without the agent (linking, access, privacy) and its outcome."""
OpenedTurn = tuple[CoachContext, list[str], list[AudioClip]]
"""The context, stored photo ids and voice clips of a turn for the agent."""

__all__ = ["ConversationService", "Deliver", "context_for", "to_outbound"]


class ConversationService:
    """Handles inbound messages from any channel."""

    def __init__(
        self,
        database: Database,
        agent: CoachAgent,
        media_dir: Path,
        coordinator: Coordinator | None = None,
        *,
        person_limit_per_min: int = 30,
        access: AccessPolicy | None = None,
        memory: MemoryService | None = None,
        extractor: MemoryExtractor | None = None,
        privacy: PrivacyService | None = None,
        lease_s: float = 30.0,
        max_concurrent_turns: int = 256,
        role: str = "all",
        outage_wait_s: float = 60.0,
        accept_timeout_s: float = 5.0,
    ) -> None:
        self.database = database
        self.inbox_writer = InboxWriter(database, accept_timeout_s=accept_timeout_s)
        self.agent = agent
        self.media_dir = media_dir
        self.coordinator = coordinator or LocalCoordinator()
        self.person_limit_per_min = person_limit_per_min
        self.access = access or AccessPolicy({}, set())
        self.memory = memory
        self.extractor = extractor
        self.privacy = privacy
        self.worker_id = uuid.uuid4().hex[:12]
        self.lease_s = lease_s
        self.role = role
        self.outage_wait_s = outage_wait_s
        self.queue = ConversationQueue(
            database,
            self.coordinator,
            self._turn,
            give_up=self._give_up,
            worker_id=self.worker_id,
            lease_s=lease_s,
            max_concurrent_turns=max_concurrent_turns,
            outage_wait_s=outage_wait_s,
        )
        if role == "web":
            self.queue.hand_back_every_turn(self._hand_off_to_workers)
        self._tasks: set[asyncio.Future[object]] = set()
        self._next_effect_purge = 0.0

    @property
    def deliverers(self) -> dict[str, Deliver]:
        """How replies of each channel are sent when no per-message sender is known."""
        return self.queue.deliverers

    def register_deliverer(
        self, channel: str, deliver: Deliver, on_start: TurnStarted | None = None
    ) -> None:
        """How replies of this channel are sent (used for background and recovered work);
        ``on_start`` runs when this replica starts a turn of the channel (e.g. "typing…")."""
        self.queue.deliverers[channel] = deliver
        if on_start is not None:
            self.queue.turn_started[channel] = on_start

    async def warm_up(self, coordinator_connections: int) -> None:
        """Prepare the inbox statement and open coordinator (Redis) connections before the
        replica reports ready, so that the first burst of webhooks does not wait for them."""
        await self.inbox_writer.warm_up()
        await self.coordinator.warm_up(coordinator_connections)

    async def accept(self, message: InboundMessage) -> bool:
        """Store the message in the inbox; False for a duplicate delivery."""
        accepted = await self.inbox_writer.accept(
            message.channel,
            message.message_id,
            message.conversation_id,
            message.model_dump_json(),
        )
        if not accepted:
            DUPLICATES.labels(message.channel).inc()
            log.info("duplicate_dropped", channel=message.channel)
        return accepted

    async def handle(
        self,
        message: InboundMessage,
        on_stored: Callable[[], Awaitable[object]] | None = None,
    ) -> list[OutboundMessage]:
        """Accept and process now (after any older message of the conversation); the caller
        sends the reply. A duplicate gets the stored reply again (idempotent). ``on_stored``
        runs once the message is in the inbox (a client's acknowledgement)."""
        new = await self.accept(message)
        if on_stored is not None:
            await on_stored()
        if not new:
            finished, stored = await self._stored_outcome(message)
            if finished:
                return stored
            # The first delivery is still being answered (or its client gave up before it
            # ran): wait for that answer here as for a new message; the turn runs once.
        try:
            replies = await self.queue.run_now(message)
        except Exception:
            ERRORS.labels("queue").inc()
            log.exception("turn_not_run", channel=message.channel)
            return [OutboundMessage(text=FAILURE_REPLY)]
        if replies is None:
            replies = await self._stored_replies(message)
        if replies:
            async with self.database.session() as session:
                await Inbox(session).mark_delivered(message.channel, message.message_id)
        return replies

    async def submit(
        self, message: InboundMessage, deliver: Deliver, *, portable: bool = True
    ) -> bool:
        """Accept now and process in the background (webhooks ack at once); False if duplicate.

        ``deliver`` sends this message's reply when this process runs it; a message run by
        another replica is sent with that replica's registered deliverer. A web process hands
        ``portable`` messages (answerable from what the inbox stores) to the workers, or, while
        a worker holds the conversation, leaves them to that worker."""
        if not await self.accept(message):
            return False
        if portable and await self._handed_to_workers(ConversationKey.of(message)):
            return True
        self.queue.enqueue(message, deliver)
        return True

    async def _handed_to_workers(self, key: ConversationKey) -> bool:
        """A web process gives the conversation to the workers (or marks it for the one
        holding it); False elsewhere, or when Redis failed: the caller processes it."""
        return (
            self.role == "web"
            and key.channel in self.deliverers
            and await self.coordinator.hand_off_or_mark(
                f"{key.channel}\t{key.conversation_id}", key.lock_name, self.lease_s
            )
        )

    async def _hand_off_to_workers(self, key: ConversationKey) -> bool:
        """Put the conversation on the workers' shared queue; False when Redis failed."""
        return await self.coordinator.hand_off(f"{key.channel}\t{key.conversation_id}")

    async def work_handed_off(self, poll_s: float = 1.0) -> None:
        """A worker process: drain the conversations web processes hand over (until
        cancelled). Each hand-off reaches one worker; the queue keeps each conversation's
        order whichever worker takes it. A worker over its share of the conversations hands
        some back and takes no new ones meanwhile."""

        sharing = asyncio.create_task(self.queue.share_load(self._hand_off_to_workers))
        try:
            await self._take_handed_off(poll_s)
        finally:
            sharing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sharing

    async def _take_handed_off(self, poll_s: float) -> None:
        while True:
            if not self.queue.takes_more():
                await asyncio.sleep(SHARE_PROBE_S)
                continue
            item = await self.coordinator.take_hand_off(poll_s)
            if item and "\t" in item:
                channel, conversation_id = item.split("\t", 1)
                self.queue.kick(ConversationKey(channel, conversation_id))

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for background work in flight (graceful shutdown); cancel what outlives it."""
        deadline = time.monotonic() + timeout
        while True:
            work = set(self._tasks) | set(self.queue.tasks)
            if not work:
                return
            _, pending = await asyncio.wait(work, timeout=max(0.0, deadline - time.monotonic()))
            if pending:
                for task in pending:
                    task.cancel()
                log.warning("drain_cancelled_tasks", count=len(pending))
                await asyncio.gather(*pending, return_exceptions=True)
                return

    async def recover(self) -> int:
        """Take over messages whose worker died (lease expired, or never claimed) and send
        replies that were stored but never sent; the number of messages found. Now and then
        drop the tool effects of long-finished turns."""
        if time.monotonic() >= self._next_effect_purge:
            self._next_effect_purge = time.monotonic() + TOOL_EFFECT_PURGE_EVERY_S
            await purge_tool_effects(self.database, utcnow() - TOOL_EFFECT_RETENTION)
        stale_before = utcnow() - timedelta(seconds=self.lease_s)
        async with self.database.session() as session:
            inbox = Inbox(session)
            stale = await inbox.stale(stale_before)
            unsent = await inbox.undelivered(stale_before, list(self.deliverers))
        for key in {ConversationKey(row.channel, row.conversation_id) for row in stale}:
            log.warning("recovering_conversation", channel=key.channel)
            # A web process found it, but turns are the workers' job: once kicked here, the
            # conversation's later messages would be run here too, behind the acks.
            if not await self._handed_to_workers(key):
                self.queue.kick(key)
        for row in unsent:
            self._spawn(self._resend(row.id, row.channel, row.payload, row.reply, stale_before))
        return len(stale) + len(unsent)

    async def _resend(
        self, row_id: int, channel: str, payload: str, reply: str | None, stale_before: datetime
    ) -> None:
        """Send a stored reply again: claimed first (one sender), recorded as delivered only
        once the platform took it; a failed send ends the claim, so the next sweep tries
        again (a reply is never given up on)."""
        claim = f"resend:{uuid.uuid4().hex[:16]}"
        try:
            async with self.database.session(single_statement=True) as session:
                if not await Inbox(session).claim_unsent(row_id, claim, stale_before):
                    return  # sent meanwhile, or another replica sends it
        except Exception as error:  # a later sweep finds the reply still unsent
            log_job_failure(log, "resend_failed", error)
            return
        log.warning("resending_reply", channel=channel)
        message = InboundMessage.model_validate_json(payload)
        replies = [OutboundMessage.model_validate(r) for r in json.loads(reply or "[]")]
        if await self.queue.deliver(message, replies):
            await self.queue.record_delivered(row_id)
        else:
            await self.queue.leave_to_sweep(row_id, claim)

    async def _turn(self, message: InboundMessage) -> list[OutboundMessage]:
        """Run the agent for a claimed message and record the outcome (the queue holds the
        conversation)."""
        started = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            thread_id = ConversationKey.of(message).lock_name
            return await self._run_turn(message, thread_id)
        finally:
            IN_FLIGHT.dec()
            MESSAGE_LATENCY.labels(message.channel).observe(time.perf_counter() - started)

    async def _run_turn(self, message: InboundMessage, thread_id: str) -> list[OutboundMessage]:
        user_id: int | None = None
        status = "done"
        received_at = utcnow()
        try:
            opened = await when_reachable(self.outage_wait_s, lambda: self._open_turn(message))
            if isinstance(opened, tuple) and isinstance(opened[0], AgentReply):
                reply, status = opened
                MESSAGES.labels(message.channel, status).inc()
                outbound = [to_outbound(reply)]
                await self._close_turn(message, None, status, outbound, received_at)
                if status == "deleted":
                    async with self.database.session() as session:
                        await Inbox(session).redact(message.channel, message.message_id)
                return outbound
            context, photo_ids, audio = opened
            user_id = context.user_id
            if (
                self.memory is not None
                and message.text
                and not self.memory.has_no_memories(context.user_id)
            ):
                block = await self._memory_block(context.user_id, message.text)
                context = dataclasses.replace(context, memory_context=block)
            person = f"person:{message.channel}:{message.external_user_id}"
            if not await self.coordinator.allow(person, self.person_limit_per_min, 60):
                reply, status = AgentReply(text=RATE_LIMITED_REPLY), "rate_limited"
            else:
                # A run that failed on an unreachable database is run again: its checkpoint
                # was not written, so the rerun starts from the same state, and tool calls
                # that completed before the failure are answered from the journal.
                with tool_journal(turn=f"{message.channel}:{message.message_id}") as journal:

                    async def run_agent() -> AgentReply:
                        journal.new_attempt()
                        return await self.agent.respond(
                            message.text, context, thread_id, photo_ids=photo_ids, audio=audio
                        )

                    reply = await when_reachable(self.outage_wait_s, run_agent)
        except Exception:
            ERRORS.labels("agent").inc()
            log.exception("agent_failed", channel=message.channel, user_id=user_id)
            reply, status = AgentReply(text=FAILURE_REPLY), "failed"
        MESSAGES.labels(message.channel, status).inc()
        outbound = [to_outbound(reply)]
        still_there = await self._close_turn(
            message, user_id, status, outbound, received_at, thread_id
        )
        if still_there and user_id is not None and status == "done" and message.text:
            # Durable facts ("I'm vegetarian") are remembered after the reply, off the hot path;
            # the model helps only on turns where it answered (not fast-path logs, not outages).
            self._spawn(self._remember(user_id, message.text, use_model="model" in reply.routes))
        log.info(
            "message_handled",
            channel=message.channel,
            user_id=user_id,
            status=status,
            tools=reply.tools_called,
            routes=reply.routes,
        )
        return outbound

    async def _give_up(self, message: InboundMessage) -> list[OutboundMessage]:
        """A message whose turn was started too often without an outcome (it kills its worker,
        or its outcome cannot be stored): answer it with the apology, without the agent."""
        MESSAGES.labels(message.channel, "failed").inc()
        outbound = [OutboundMessage(text=FAILURE_REPLY)]
        await self._close_turn(message, None, "failed", outbound, utcnow())
        return outbound

    async def _remember(self, user_id: int, text: str, *, use_model: bool) -> None:
        """Store the message's durable facts; a person deleted meanwhile keeps none."""
        if self.extractor is None:
            return
        if await self.extractor.after_turn(user_id, text, use_model=use_model) and not (
            await self._person_exists(user_id)
        ):
            await self._forget_late_turn(user_id, None)

    async def _person_exists(self, user_id: int) -> bool:
        async with self.database.session() as session:
            return await session.get(User, user_id) is not None

    async def _forget_late_turn(self, user_id: int, thread_id: str | None) -> None:
        """A turn that ended after its person was deleted wrote a checkpoint (the whole
        conversation) and maybe memories: erase them too."""
        log.warning("turn_outlived_its_person")
        if thread_id is not None and self.privacy is not None:
            checkpointer = self.privacy.checkpointer
            if checkpointer is not None:
                await checkpointer.adelete_thread(thread_id)
        if self.memory is not None:
            await asyncio.to_thread(self.memory.for_user(user_id).delete_all)

    async def _memory_block(self, user_id: int, text: str) -> str:
        """What the coach remembers that bears on this message; nothing while the memory
        store is unreachable (the turn goes on without it)."""
        assert self.memory is not None
        lookup = asyncio.to_thread(self.memory.memory_context, user_id, text)
        return await or_if_memory_down(lookup, "turn", "")

    async def _link_gate(self, message: InboundMessage, code: str | None) -> Gate:
        """A ``/link`` message: redeem a code, or hand out one (after the access policy)."""
        async with self.database.session() as session:
            if code:
                # A code proves whose account this is, not that the channel lets it in.
                refusal = await self.access.link_refusal(
                    session, message.channel, message.external_user_id
                )
                if refusal is not None:
                    return AgentReply(text=refusal), "link_refused"
                user_id = await redeem_link_code(
                    session,
                    code,
                    message.channel,
                    message.external_user_id,
                    utcnow(),
                    access=self.access,
                )
                if user_id is None:
                    return AgentReply(text=LINK_FAILED), "link_failed"
                return AgentReply(text=LINKED), "linked"
            denied = await self._denied(session, message)
            if denied is not None:
                return denied
            user = await UserDirectory(session).find(message.channel, message.external_user_id)
            pending = await self._take_pending(session, user)
        privacy = await self._privacy_outcome(message, user, pending)
        if privacy is not None:
            return privacy
        async with self.database.session() as session:
            user = await UserDirectory(session).resolve(
                message.channel, message.external_user_id, name=message.user_name
            )
            new = await create_link_code(session, user.id, utcnow())
            return AgentReply(text=LINK_CODE.format(code=new)), "link_code"

    async def _denied(self, session: AsyncSession, message: InboundMessage) -> Gate | None:
        decision = await self.access.check(
            session, message.channel, message.external_user_id, message.user_name
        )
        return None if decision.allowed else (AgentReply(text=decision.reply), "denied")

    async def _take_pending(self, session: AsyncSession, user: User | None) -> bool:
        """Consume the person's pending deletion request (True when one was still valid)."""
        if self.privacy is None or user is None:
            return False
        return await self.privacy.take_pending_deletion(user.id, session)

    def _privacy_command(self, message: InboundMessage, user: User | None) -> str | None:
        if self.privacy is None or user is None:
            return None
        return parse_privacy_command(message.text)

    async def _privacy_outcome(
        self, message: InboundMessage, user: User | None, pending: bool
    ) -> Gate | None:
        """/export and /delete (with confirmation), handled without the agent; a pending
        deletion that the person did not confirm is cancelled."""
        if self.privacy is None or user is None:
            return None
        command = parse_privacy_command(message.text)
        if command in ("confirm_delete", "confirm_button") and pending:
            postponed = AgentReply(text=DELETE_POSTPONED), "delete_postponed"
            return await or_if_memory_down(self._delete(self.privacy, user.id), "delete", postponed)
        if command == "delete":
            await self.privacy.request_deletion(user.id)
            return AgentReply(text=DELETE_QUESTION, options=["yes, delete everything"]), "done"
        if command == "export":
            postponed = AgentReply(text=EXPORT_POSTPONED), "export_postponed"
            return await or_if_memory_down(self._export(self.privacy, user.id), "export", postponed)
        if pending:
            return AgentReply(text=CANCELLED), "done"
        return None

    @staticmethod
    async def _delete(privacy: PrivacyService, user_id: int) -> Gate:
        report = await privacy.delete(user_id)
        log.info(
            "person_deleted",
            rows=sum(report.rows.values()),
            memories=report.memories,
            threads=report.threads,
            files=report.files,
        )
        return AgentReply(text=DELETED), "deleted"

    @staticmethod
    async def _export(privacy: PrivacyService, user_id: int) -> Gate:
        files = await privacy.export(user_id)
        text = (
            "Here is everything I hold about you: the full export (JSON) and your log "
            "(CSV): " + ", ".join(p.name for p in files)
        )
        return AgentReply(text=text, files=files), "done"

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open_turn(self, message: InboundMessage) -> Gate | OpenedTurn:
        """Identity linking, the access policy and privacy commands first (a reply without
        the agent), else the person's context for the agent: one transaction on the usual
        path (the person looked up once)."""
        is_link, code = parse_link_command(message.text)
        if is_link:
            return await self._link_gate(message, code)
        if (
            self.access.admits_without_lookup(message.channel, message.external_user_id)
            and not message.images
            and not message.audio
        ):
            # The usual turn reads one row (no transaction); first contact creates the
            # person (nothing can be pending yet); a pending deletion and privacy commands
            # take the path below.
            person = await find_person(self.database, message.channel, message.external_user_id)
            if person is None:
                created = await create_person(
                    self.database, message.channel, message.external_user_id, message.user_name
                )
                return context_for(created, message), [], []
            if (
                person.deletion_expires_at is None
                and self._privacy_command(message, person.user) is None
            ):
                return context_for(person.user, message, person.personality), [], []
        async with self.database.session() as session:
            denied = await self._denied(session, message)
            if denied is not None:
                return denied
            person = await find_person_at_turn(session, message.channel, message.external_user_id)
            user = person.user if person is not None else None
            pending = (
                person is not None
                and person.deletion_expires_at is not None
                and await self._take_pending(session, user)
            )
            if not pending and self._privacy_command(message, user) is None:
                if person is None:
                    user = await UserDirectory(session).resolve(
                        message.channel, message.external_user_id, name=message.user_name
                    )
                    return await self._turn_context(session, user, message, None)
                return await self._turn_context(session, person.user, message, person.personality)
        # A privacy command or a pending deletion: act on it once this transaction is
        # committed (a deletion needs the person's rows unlocked).
        privacy = await self._privacy_outcome(message, user, pending)
        if privacy is not None:
            return privacy
        async with self.database.session() as session:
            user = await UserDirectory(session).resolve(
                message.channel, message.external_user_id, name=message.user_name
            )
            personality = await get_personality(session, user.id)
            return await self._turn_context(session, user, message, personality)

    async def _turn_context(
        self,
        session: AsyncSession,
        user: User,
        message: InboundMessage,
        personality: str | None,
    ) -> OpenedTurn:
        """Store the message's media; the trusted context for the agent (the message is
        logged with its reply when the turn closes)."""
        store = MediaStore(session, user.id, self.media_dir)
        photo_ids = [
            (await store.add(Path(a.ref), "image", a.mime_type)).id for a in message.images
        ]
        audio = []
        for attachment in message.audio:
            row = await store.add(Path(attachment.ref), "audio", attachment.mime_type)
            audio.append(AudioClip(path=Path(row.path), mime_type=row.mime_type))
        return context_for(user, message, personality), photo_ids, audio

    async def _close_turn(
        self,
        message: InboundMessage,
        user_id: int | None,
        status: str,
        outbound: list[OutboundMessage],
        received_at: datetime,
        thread_id: str | None = None,
    ) -> bool:
        """Record the outcome; a known person's message and reply go to their log with it.
        False when the person was deleted while the turn ran (what the turn wrote about them
        is erased then); raises :class:`TurnNotRecorded` when nothing could be stored."""
        turn = FinishedTurn(
            channel=message.channel,
            message_id=message.message_id,
            conversation_id=message.conversation_id,
            status=status,
            reply=json.dumps([r.model_dump() for r in outbound]),
            user_id=user_id,
            in_text=message.text,
            out_texts=tuple(r.text for r in outbound),
            received_at=received_at,
        )
        try:
            await when_reachable(self.outage_wait_s, lambda: finish_turn(self.database, turn))
            return True
        except Exception as error:
            ERRORS.labels("bookkeeping").inc()
            log.exception("turn_bookkeeping_failed", channel=message.channel)
            if user_id is None:
                raise TurnNotRecorded from error
        # Once more (a deadlock, say); or, when the person is gone (deleted from a linked chat
        # while this turn ran) and their log refuses the exchange, without them.
        still_there = await self._person_exists(user_id)
        again = turn if still_there else dataclasses.replace(turn, user_id=None, out_texts=())
        try:
            await when_reachable(self.outage_wait_s, lambda: finish_turn(self.database, again))
        except Exception as error:
            raise TurnNotRecorded from error
        if not still_there:
            await self._forget_late_turn(user_id, thread_id)
        return still_there

    async def _stored_replies(self, message: InboundMessage) -> list[OutboundMessage]:
        return (await self._stored_outcome(message))[1]

    async def _stored_outcome(self, message: InboundMessage) -> tuple[bool, list[OutboundMessage]]:
        """Whether the message's turn is over (or its row gone), and its stored reply."""
        async with self.database.session() as session:
            row = await Inbox(session).get(message.channel, message.message_id)
        if row is None or row.conversation_id != message.conversation_id:
            return True, []
        finished = row.status not in ("received", "processing")
        if not row.reply:
            return finished, []
        return finished, [OutboundMessage.model_validate(r) for r in json.loads(row.reply)]


def context_for(
    user: User, message: InboundMessage, personality: str | None = None
) -> CoachContext:
    """The trusted context for this user on this channel."""
    return CoachContext(
        personality=personality,
        missing_facts=missing_facts(user),
        user_id=user.id,
        channel=message.channel,
        conversation_id=message.conversation_id,
        timezone=user.timezone or "UTC",
        unit_system=user.unit_system or "metric",
        profile_summary=profile_summary(user),
    )


def profile_summary(user: User) -> str:
    """A one-line profile for the system prompt (no ids, only what the person told us)."""
    facts = []
    if user.name:
        facts.append(f"name {user.name}")
    if user.sex:
        facts.append(user.sex)
    if user.birth_year:
        facts.append(f"born {user.birth_year}")
    if user.height_cm:
        facts.append(f"{user.height_cm:g} cm")
    if user.weight_kg:
        facts.append(f"{user.weight_kg:g} kg")
    if user.goal:
        facts.append(f"goal: {user.goal}")
    facts.append(f"prefers {user.unit_system or 'metric'} units, timezone {user.timezone or 'UTC'}")
    return "; ".join(facts)


def to_outbound(reply: AgentReply) -> OutboundMessage:
    """The agent reply as a channel-neutral message with quick replies for options."""
    buttons = [
        Button(label=f"{i}. {name}", value=str(i)) for i, name in enumerate(reply.options, 1)
    ]
    files = [
        Attachment(
            kind="file",
            mime_type=FILE_TYPES.get(path.suffix, "application/octet-stream"),
            ref=str(path),
        )
        for path in reply.files
    ]
    return OutboundMessage(text=reply.text, buttons=buttons, files=files, images=list(reply.images))


FILE_TYPES = {".json": "application/json", ".csv": "text/csv", ".png": "image/png"}
