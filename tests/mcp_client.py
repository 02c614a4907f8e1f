"""Drives `discover mcp` with the official MCP Python SDK (`pip install mcp`), as an
assistant would: initialize, list the tools, call them. Prints one JSON object per step on
stdout for the Rust test (tests/mcp.rs) to check.

usage: python3 tests/mcp_client.py DISCOVER_BINARY WORKDIR
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(binary: str, workdir: str) -> None:
    params = StdioServerParameters(command=binary, args=["mcp"], cwd=workdir)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            print(json.dumps({"step": "initialize", "server": init.server_info.name,
                              "protocol": init.protocol_version}))
            tools = await session.list_tools()
            print(json.dumps({"step": "tools", "names": [t.name for t in tools.tools],
                              "callers_schema": next(t.input_schema for t in tools.tools
                                                     if t.name == "callers")}))
            calls = [
                ("callers", {"symbol": "formatPrice"}),
                ("exports", {"path": "src/lib/format.ts"}),
                ("tests_for", {"target": "nothing/here.ts"}),
                ("callers", {"symbol": "formatPrice", "depth": "deep"}),
                ("symbol", {"symbol": "noSuchThingAnywhere"}),
            ]
            for name, arguments in calls:
                result = await session.call_tool(name, arguments)
                print(json.dumps({"step": "call", "tool": name, "error": bool(result.is_error),
                                  "text": result.content[0].text if result.content else "",
                                  "structured": result.structured_content}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
