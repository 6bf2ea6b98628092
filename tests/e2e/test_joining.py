"""Joining: the TS invites, a focal point opens the link and is greeted in Spanish."""

from __future__ import annotations

import re

from tests.harness import BOT_USERNAME, Harness


def _link_token(text: str) -> str:
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def test_ts_invites_and_focal_point_joins_in_spanish(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await tess.send("/invite MX focal_point")
    invitation = await tess.last_message()
    assert invitation is not None
    assert "focal_point" in invitation.text
    token = _link_token(invitation.text)

    ana = harness.user("ana", lang="es-MX")
    await ana.send(f"/start {token}")
    welcome = await ana.last_message()
    assert welcome is not None
    assert "le damos la bienvenida" in welcome.text.lower()
    assert "México" in welcome.text
    assert "Punto focal" in welcome.text


async def test_used_invitation_gives_no_access(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await tess.send("/invite CR vice_minister")
    token = _link_token((await tess.last_message()).text)  # type: ignore[union-attr]
    first = harness.user("first")
    await first.send(f"/start {token}")
    assert "Welcome" in (await first.last_message()).text  # type: ignore[union-attr]

    second = harness.user("second", lang="es")
    await second.send(f"/start {token}")
    refusal = await second.last_message()
    assert refusal is not None
    assert "ya se utilizó" in refusal.text
    await second.send("/status")
    stranger = await second.last_message()
    assert stranger is not None
    # A stranger's answer comes in both languages.
    assert "Technical Secretariat" in stranger.text and "Secretaría Técnica" in stranger.text


async def test_stranger_gets_bilingual_answer(harness: Harness) -> None:
    eve = harness.user("eve", lang="fr")
    await eve.send("hello")
    answer = await eve.last_message()
    assert answer is not None
    assert "invitation" in answer.text and "invitación" in answer.text
