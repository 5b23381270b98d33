"""Who a post's Markdown mentions (``@name``) and which posts it quotes. Read by the posting
service, which links the mentions, and by the notifications, which tell those members."""

from __future__ import annotations

import re

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]{1,150})")
# A quote carries a link to the quoted post's permalink: ``> [@aino wrote](/forum/p/12/):``.
QUOTE_LINK = re.compile(r"^\s*>.*?\(/forum/p/(\d+)/\)", re.MULTILINE)


def mentioned_usernames(body: str) -> list[str]:
    seen: list[str] = []
    for name in MENTION.findall(_without_code(body)):
        name = name.rstrip(".")
        if name and name.lower() not in (n.lower() for n in seen):
            seen.append(name)
    return seen[:20]


def _without_code(body: str) -> str:
    body = re.sub(r"```.*?```", " ", body, flags=re.DOTALL)
    body = re.sub(r"`[^`\n]*`", " ", body)
    # Quoted lines are someone else's words: their mentions were notified when first written.
    return "\n".join(
        line
        for line in body.splitlines()
        if not line.startswith("    ") and not line.lstrip().startswith(">")
    )


def quoted_post_ids(body: str) -> list[int]:
    return list(dict.fromkeys(int(pk) for pk in QUOTE_LINK.findall(body)))[:10]
