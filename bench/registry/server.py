"""The real app (app.factory.create_app), one uvicorn worker on 127.0.0.1, access log off (like bare.py)."""

from __future__ import annotations

import sys

import uvicorn


def main() -> None:
    uvicorn.run("app.factory:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
