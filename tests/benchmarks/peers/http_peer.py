#!/usr/bin/env python3
"""The peer a Python user would write with FastAPI on uvicorn (the stack the commune framework
serves modules with): POST /echo takes and returns {"text": ...} as JSON; POST /sum takes a float32
tensor as the raw request body (application/octet-stream, the fast way; JSON lists would be far
slower) and returns {"value": sum}. uvicorn picks uvloop and httptools when they are installed.

Usage: http_peer.py --port PORT   prints "listening on PORT" once it serves.
"""

import argparse

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel


class Text(BaseModel):
    text: str


def create_app(port):
    app = FastAPI()

    @app.on_event("startup")
    async def ready():
        print(f"listening on {port}", flush=True)

    @app.post("/echo", response_model=Text)
    async def echo(body: Text):
        return body

    @app.post("/sum")
    async def tensor_sum(request: Request):
        x = np.frombuffer(await request.body(), dtype=np.float32)
        return {"value": float(x.sum())}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(create_app(port), host="127.0.0.1", port=port, log_level="warning", access_log=False)
