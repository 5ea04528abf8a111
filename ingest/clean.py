"""Text cleaning: normalise whitespace and unicode, and drop scraper leftovers (share widgets, prompts, ads).

Boilerplate is removed by rules over whole lines: a line goes only when it is short and *entirely* matches one
of the patterns below, so a real sentence that mentions cookies or sharing stays.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BOILERPLATE_CHARS = 200  # longer lines are always article text

# Share-widget words: the first group may stand alone on a line; the second only beside other widget words.
_SOCIAL = (
    r"(?:facebook|twitter|linkedin|whatsapp|pinterest|reddit|tumblr|e-?mail|stumbleupon|google\+|google plus)"
)
_SOCIAL_MORE = (
    r"(?:google|print|pdf|sms|messenger|telegram|flipboard|pocket|digg|delicious|instagram|youtube|mix"
    r"|copy link|more|threads|mastodon|bluesky|gab|parler|tiktok|snapchat|vk|xing|skype|viber|line|weibo"
    r"|wechat)"
)
# Possessive (*+): separators never overlap the words, so the engine must not backtrack into them.
_SEP = r"(?:[\s|,•·/:&–—-]|\band\b|\(opens? in (?:a )?new window\))*+"
_SHARE_TOKEN = (
    r"(?:print friendly|shares?(?: (?:this|it))?(?: (?:story|article|post|page|video))?"
    r"(?: (?:on|via|with|to))?"
    r"|\d[\d.,]*\s*k?\s+shares?|tweet(?: this)?|pin(?: it| this)?"
    r"|email this(?: (?:story|article|page))?|click to (?:share|email|print|tweet)(?: (?:on|via|this|with))?"
    r"|" + _SOCIAL + ")"
)
_ANY_TOKEN = f"(?:{_SHARE_TOKEN}|{_SOCIAL_MORE})"
_AGENCY = (
    r"(?:getty(?: images)?|ap(?: photo)?|afp(?: photo)?|reuters|shutterstock(?:\.com)?|istock(?:photo)?"
    r"|epa(?:-efe)?|wireimage|alamy|sipa(?: usa)?|zuma(?: press)?|nurphoto|pool|imagn|usa today(?: sports)?)"
)

# Each pattern must match a whole (short) line, case-insensitively.
BOILERPLATE_PATTERNS: dict[str, tuple[str, ...]] = {
    "share": (
        rf"(?:{_SHARE_TOKEN}{_SEP})+",
        rf"(?:{_ANY_TOKEN}{_SEP}){{2,}}",
        r"like this:?\s*(?:like\s*)?(?:loading\W*)?(?:related)?|like loading\W*",
        r"(?:please |make sure to |be sure to )?(?:like and )?share(?: (?:this|it))?(?: \w+)?"
        r"(?: (?:on|with) [\w ,&]{1,40})? if you .{0,120}",
        r"(?:please )?share (?:this|it)\b.{0,150}|please share\b.{0,150}",
        rf".{{0,100}}\bshare this (?:article|story|post)(?: now)?\s*[.!]*\s*(?:{_ANY_TOKEN}{_SEP})*",
        r"share your thoughts(?: below| in the comments?(?: section)?(?: below)?)?[.!]?",
        r"spread the word!?\s+.{0,180}",
    ),
    "subscribe": (
        r"(?:[^.!?:]{0,80}[.!?:]\s*)?subscribe\b.{0,120}",
        r"(?:[^.!?:]{0,100}[.!?:,]\s*)?sign up (?:for|to|now|today|here)\b.{0,120}",
        r".{0,150}[.!?:]\s*sign up (?:here|now|today)\W*",
        r"(?=.{0,200}\b(?:sign up|subscribe|inbox|would you like to receive|provides you with"
        r"|get (?:our|the))\b)"
        r".{0,100}\bnewsletters?\b.{0,160}",
        r"(?:get|have) .{0,80}\b(?:in|to) your inbox\b.{0,80}",
        r".{0,80}\bdelivered (?:straight |right |directly )?to your inbox\b.{0,80}",
        r"(?:by (?:signing up|subscribing|registering|clicking)"
        r"|if you (?:wish|want|would like) to (?:object|opt out)"
        r"|you can (?:unsubscribe|opt out)|'?we'? includes .{0,80}brands\b).{0,180}",
        r".{0,100}\bsupport(?:ing)? (?:our|local|quality|independent) journalism\b.{0,160}",
    ),
    "comments": (
        r"(?:\d+\s+)?comments?(?:\s*\(\d+\))?\s*[:.»]?",
        r"(?:view|show|hide|read|see|load)(?: all| more)?(?: \d+)? comments?",
        r"(?:please )?leave (?:us )?a (?:comment|reply)\b.{0,100}",
        r"join the (?:discussion|conversation|debate)[.!]?",
        r"(?:add|post|write) (?:your|a) comment[.!]?",
        r"comments? (?:are|is) (?:closed|disabled)[.!]?",
        r"(?:filed|posted) (?:under|in)\s*:.{0,180}|(?:filed|posted) (?:under|in) [^.!?]{0,150}\|.{0,100}",
        r"tag(?:s|ged)(?: with)?\s*:.{0,180}",
    ),
    "cookies": (
        r"(?:we|this (?:web)?site|our (?:web)?site)(?: and our partners)? uses? cookies\b.{0,180}",
        r"(?:(?:accept|allow|reject|decline|manage|customi[sz]e)(?: all)?"
        r"(?: cookies?| cookie settings| settings)?\s*)+",
        r"cookie (?:policy|settings|preferences|notice|consent)[.:]?",
        r"by (?:continuing to (?:use|browse)|using) (?:this|our) (?:web)?site\b.{0,150}",
    ),
    "read_more": (
        r"[\[(]?\s*read more\b.{0,120}",
        r"[\[(]?\s*(?:continue|keep) reading\b.{0,80}",
        r"(?:click here to )?read the (?:full|whole|rest of the|original)"
        r" (?:story|article|report|post)\b.{0,80}",
        r"[\[(]?\s*read related(?: articles?| stories| posts)?\s*:.{0,150}",
    ),
    "related": (
        r"related(?: \w+)?\s*:.{0,150}",
        r"related(?: (?:stories|articles|posts|links|content|coverage|reading|news|reports?|videos?|topics"
        r"|items))?\.?",
        r"(?:you (?:may|might) also like"
        r"|recommended(?: for you| reading| stories| articles| resources| videos)?"
        r"|more from [^.!?]{1,40}|more (?:stories|news|coverage|videos)(?: from [^.!?]{1,40})?"
        r"|most (?:popular|read)|trending(?: now| stories)?|popular (?:posts|stories|articles)|also read"
        r"|see also|up next|what to read next|more news to know now)\s*:?",
        r"popular videos?\b.{0,180}",
        r"story continued below|(?:story|article) continues? below(?: (?:advertisement|ad))?",
    ),
    "ads": (
        r"(?:advertisements?|advertising|ads?|sponsored(?: content| links?| stories| by .{1,60})?"
        r"|paid (?:content|post)|promoted(?: content| stories)?)\s*[.:]?",
        r"ad(?:vertisement)?\s*[-–—:|]?\s*(?:the )?(?:story|article|content) continues? below",
        r"your ads? will be inserted here\b.{0,150}|paste your ad code\b.{0,40}",
        r"\d*\.?\s*how relevant is this ad to you\??",
        r"video player was slow to load content.{0,200}|video ad feedback\b.{0,180}",
        r"watch (?:in )?full screen to skip ads?\.?|suppress this ad(?: slot)?\s*\.?",
        r"skip to (?:main )?(?:content|navigation|main|search|footer)",
        r".{0,100}(?:prices? (?:were|are|was|is) accurate at the time"
        r"|we may (?:earn|receive) (?:a )?(?:small )?(?:commission|compensation|fee)"
        r"|(?:contains|includes|uses) affiliate links).{0,150}",
        r"[\[(]?\s*(?:click|tap) (?:here|the (?:link|banner|button)|below)\b.{0,100}",
        r".{0,100}\bclick here(?: now)?\s*[.!)\]>»]*",
        r"\d*\s*%?\s*of readers think this story is .{0,80}",
        r"watch (?:the )?(?:latest|full) video (?:at|on|here)\b.{0,80}",
    ),
    "follow": (
        r"follow (?:us|me)\b.{0,150}",
        r"follow [\w .'@-]{1,50} on (?:twitter|facebook|instagram|linkedin|tiktok|youtube|threads|mastodon"
        r"|social media|x)\b.{0,100}",
        r"(?:like|find|join|connect with) (?:us|our page)\b(?: on \w+)?.{0,100}",
        r"follow (?:every|all|the latest|live)\b.{0,100}",
        r"more ap [\w ]{1,30}:\s*https?://.{0,150}",
        # a writer's contact line: "Reach the reporter at jo@paper.com", "Follow him on Twitter @jo"
        r"(?=.{0,250}(?:[\w.+-]+@[\w-]+\.\w|@\w{2,})).{0,100}\b(?:reach|contact|email|e-mail|follow)"
        r" (?:him|her|them|me|us|the (?:reporter|writer|author))\b.{0,180}",
        r"(?:contact|reach|email|e-mail) [\w .'-]{1,50} (?:at|via|on)\b.{0,60}"
        r"(?:[\w.+-]+@[\w-]+\.\w|@\w{2,}).{0,120}",
        rf"\[?{_ANY_TOKEN}\]?(?: (?:link|page|feed|profile|channel))?\s*:?\s*https?://\S+.{{0,100}}",
    ),
    "copyright": (
        r"(?:copyright\s*(?:©|\(c\)|\d{4}|by\b)|\(c\)\s*\d{4}).{0,150}",
        r".{0,150}(?:©|\ball rights reserved\b).{0,100}",
        r"the (?:views|opinions)(?: and (?:views|opinions))? expressed (?:in this|here|herein|by)\b.{0,180}",
        r"our (?:fact[- ]check(?:ing)? )?work is supported in part by .{0,100}",
    ),
    "photo_credit": (
        r"[(\[]\s*(?:photo|image|picture|credit|photo credit|image credit|pictured|file photo)s?"
        r"\s*:.{0,120}[)\]]",
        r"[(\[]\s*(?:photo|image|picture)s?(?: courtesy(?: of)?| by| via)\b.{0,120}[)\]]",
        r"(?:featured |top |header |file )?(?:photo|image|picture)s?(?: credits?| source| courtesy)?\s*"
        r"(?::|via\b|by\b|courtesy of\b).{0,120}",
        r".{0,80}\(photo credit:.{0,80}\)",
        rf".{{0,180}}(?:/|\bvia\b|\|)\s*(?:the )?{_AGENCY}(?:\s*(?:/|via)\s*.{{0,60}})?(?:\s*/?\s*file)?",
        rf"{_AGENCY}(?:\s*/\s*.{{0,60}})?",
    ),
}

_BOILERPLATE = re.compile(
    "|".join(f"(?:{p})" for family in BOILERPLATE_PATTERNS.values() for p in family), re.IGNORECASE
)
# Widgets glued onto the end of the last paragraph ("...a thing or two.Print Friendly, PDF & Email").
_TRAILING_WIDGET = re.compile(
    r"(?<=[.!?\"”’)])\s*(?:print friendly,? pdf (?:&|and) email|share this:?(?:\s*" + _SOCIAL + r")*"
    r"|click to (?:share|email|print).*|like this:.*|" + _SOCIAL + r"(?:[\s,|]+" + _SOCIAL + r")+"
    r"|read more\W*|advertisement)\s*$",
    re.IGNORECASE,
)
_DANGLING_LABEL = re.compile(r"[^.!?]{1,40}:")  # "Authors:", "Related:" left as the very last line
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f]")


def is_boilerplate_line(line: str) -> bool:
    """True when ``line`` is short and entirely scraper boilerplate ("Share this:", "Advertisement", ...)."""
    line = " ".join(line.split())
    if not 0 < len(line) <= MAX_BOILERPLATE_CHARS:
        return False
    bare = line.lstrip("*#>•·–—- ")  # markdown or bullet marks before the widget text
    if _BOILERPLATE.fullmatch(line):
        return True
    return bare != line and _BOILERPLATE.fullmatch(bare) is not None


def clean_text(text: str) -> str:
    """Cleaned article body: NFC, one space between words, paragraphs split by one blank line, no boilerplate.

    Idempotent: ``clean_text(clean_text(t)) == clean_text(t)``.
    """
    lines = [_SPACES.sub(" ", line).strip() for line in _normalize(text).split("\n")]
    lines = ["" if is_boilerplate_line(line) else line for line in lines]
    while True:  # trailing widgets can hide more widgets above them; each round only shortens the text
        shorter = _collapse_repeats(_drop_trailing(lines))
        if shorter == lines:
            return _join(lines)
        lines = shorter


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _INVISIBLE.sub("", text)


def _drop_trailing(lines: list[str]) -> list[str]:
    """Remove widgets glued to the last line and a dangling label ("Authors:") ending the text."""
    lines = list(lines)
    while lines and not lines[-1]:
        lines.pop()
    while lines:
        last = _TRAILING_WIDGET.sub("", lines[-1]).rstrip()
        if not last or _DANGLING_LABEL.fullmatch(last) or (last != lines[-1] and is_boilerplate_line(last)):
            lines.pop()
            while lines and not lines[-1]:
                lines.pop()
            continue
        lines[-1] = last
        break
    return lines


def _collapse_repeats(lines: list[str]) -> list[str]:
    """Keep one copy of a line repeated three or more times in a row (blank lines between are ignored)."""
    filled = [i for i, line in enumerate(lines) if line]
    drop: set[int] = set()
    start = 0
    while start < len(filled):
        end = start
        while end + 1 < len(filled) and lines[filled[end + 1]] == lines[filled[start]]:
            end += 1
        if end - start >= 2:
            drop.update(range(filled[start] + 1, filled[end] + 1))
        start = end + 1
    return [line for i, line in enumerate(lines) if i not in drop]


def _join(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_MD_LINK_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_MD_SETEXT = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.MULTILINE)
_MD_FENCE = re.compile(r"^[ \t]{0,3}(?:```|~~~).*$", re.MULTILINE)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE)
_MD_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+", re.MULTILINE)
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM_STAR = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])")
_MD_EM_UNDERSCORE = re.compile(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])")
_MD_CODE = re.compile(r"`([^`]*)`")


def strip_markdown(text: str) -> str:
    """Readable plain text from markdown: no heading marks, emphasis, link syntax or images."""
    text = _MD_FENCE.sub("", _MD_LINK_DEF.sub("", text))
    text = _MD_RULE.sub("", text)
    text = _MD_SETEXT.sub("", text)
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub(r"\1- ", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EM_STAR.sub(r"\1", text)
    text = _MD_EM_UNDERSCORE.sub(r"\1", text)
    return _MD_CODE.sub(r"\1", text)
