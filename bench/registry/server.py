"""The real app plus a bare Litestar route (/bench/bare), served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import sys

import uvicorn
from litestar import get


@get("/bench/bare", include_in_schema=False)
async def bare() -> dict[str, bool]:
    return {"ok": True}


def main() -> None:
    from app.factory import create_app

    app = create_app()
    app.register(bare)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
