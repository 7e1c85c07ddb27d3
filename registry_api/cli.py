"""``civstat token``, ``civstat api``, ``civstat registry``."""

from __future__ import annotations

import argparse

from registry_api.core.config import get_settings


def _registry(url: str | None):  # type: ignore[no-untyped-def]
    from registry_api.core.db import Registry, upgrade
    from registry_api.services.geography import seed_geography

    reg = Registry(url or get_settings().registry_url)
    upgrade(reg.engine)
    with reg.session() as s:
        seed_geography(s)
    return reg


def token_create(args: argparse.Namespace) -> int:
    from civstat_cli.main import CliError
    from registry_api.core.security import create_token
    from registry_api.models import Office, Province

    reg = _registry(args.registry)
    with reg.session() as s:
        if args.office and s.get(Office, args.office) is None:
            raise CliError(f"unknown office code {args.office!r} (see GET /api/v1/offices)")
        if args.province and s.get(Province, args.province) is None:
            raise CliError(f"unknown province code {args.province!r}")
        try:
            token, _row = create_token(s, args.role, office_code=args.office, province_code=args.province,
                                       sector_code=args.sector, label=args.label)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    print(token)  # the token alone on stdout, for scripts: TOKEN=$(civstat token create ...)
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from registry_api.main import create_app

    if args.workers > 1:  # migrate once before the workers start
        _registry(None).dispose()

    if args.workers > 1:  # each worker process builds its own app (and engine pool)
        uvicorn.run("registry_api.main:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level)
    else:
        uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def registry_init(args: argparse.Namespace) -> int:
    reg = _registry(args.registry)
    print(f"registry ready: {reg.dialect} ({reg.engine.url.render_as_string(hide_password=True)})")
    return 0


def registry_expire(args: argparse.Namespace) -> int:
    from registry_api.core.security import Principal
    from registry_api.services.declarations import expire_overdue

    reg = _registry(args.registry)
    with reg.session() as s:
        n = expire_overdue(s, Principal(0, "admin"))
    print(f"expired {n} declarations")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from registry_api.core.security import ROLES

    tok = sub.add_parser("token", help="API tokens")
    tok_sub = tok.add_subparsers(dest="token_command", required=True)
    create = tok_sub.add_parser("create", help="mint a token and print it alone on stdout")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--office", help="office code (officer)")
    create.add_argument("--province", help="province code (supervisor)")
    create.add_argument("--sector", help="sector code (sector)")
    create.add_argument("--label", help="free label, e.g. who holds it")
    create.add_argument("--registry", help="registry URL (default CIVSTAT_REGISTRY_URL)")
    create.set_defaults(func=token_create)

    api = sub.add_parser("api", help="serve the registry API with uvicorn")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL registries)")
    api.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    api.set_defaults(func=serve)

    reg = sub.add_parser("registry", help="registry database maintenance")
    reg_sub = reg.add_subparsers(dest="registry_command", required=True)
    init = reg_sub.add_parser("init", help="create or migrate the schema and seed the geography")
    init.add_argument("--registry", help="registry URL")
    init.set_defaults(func=registry_init)
    exp = reg_sub.add_parser("expire", help="expire pending declarations past their legal deadline")
    exp.add_argument("--registry", help="registry URL")
    exp.set_defaults(func=registry_expire)
