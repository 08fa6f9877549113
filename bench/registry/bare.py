"""The bare route: a minimal Litestar app in its own process (no middleware, no database, no template),
served by uvicorn on 127.0.0.1 exactly like the real app. Every page's req/s is compared with it."""

from __future__ import annotations

import sys

import uvicorn
from litestar import Litestar, get


@get("/bare")
async def bare() -> dict[str, bool]:
    return {"ok": True}


app = Litestar(route_handlers=[bare], openapi_config=None)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
