"""Hosted SFTP accounts built from partner profiles."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from gateway.partners.profile import PartnerProfile
from gateway.partners.sftp import HostedAccount
from gateway.sftp.keys import looks_like_key_line

log = logging.getLogger("gateway.sftp.accounts")


def _absolute(path: Path, base_dir: Path | None) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def resolve_account_paths(account: HostedAccount, base_dir: Path | None) -> HostedAccount:
    """A copy of the account whose key files and password file are absolute paths."""
    keys = [
        entry if looks_like_key_line(entry) else str(_absolute(Path(entry), base_dir))
        for entry in account.authorized_keys
    ]
    password = account.password
    if password is not None and password.file is not None:
        password = password.model_copy(update={"file": _absolute(password.file, base_dir)})
    return account.model_copy(update={"authorized_keys": keys, "password": password})


def hosted_accounts(
    profiles: Iterable[PartnerProfile],
    *,
    on_warning: Callable[[str, str], None] | None = None,
) -> dict[str, tuple[str, HostedAccount]]:
    """User name -> (partner id, account) for every enabled partner with a hosted account.

    Relative key and password paths are resolved against each profile's directory. A
    user name claimed by two partners is left out for both (``on_warning(partner_id,
    message)`` is told): guessing which partner a login belongs to would misroute files.
    """
    found: dict[str, list[tuple[str, HostedAccount]]] = {}
    for profile in profiles:
        if not profile.enabled or profile.sftp is None or profile.sftp.hosted is None:
            continue
        account = resolve_account_paths(profile.sftp.hosted, profile.base_dir)
        found.setdefault(account.username, []).append((profile.id, account))
    accounts: dict[str, tuple[str, HostedAccount]] = {}
    for username, claims in found.items():
        if len(claims) == 1:
            accounts[username] = claims[0]
            continue
        owners = ", ".join(partner_id for partner_id, _ in claims)
        for partner_id, _ in claims:
            message = f"SFTP user {username!r} is claimed by {owners}; login disabled"
            log.warning(message)
            if on_warning is not None:
                on_warning(partner_id, message)
    return accounts
