"""Crawler throughput against a local site server: pages per second with N sites at concurrency C.

    .venv/bin/python benchmarks/crawl.py [--sites 200] [--concurrency 8] [--interval 0.0]

Every site has robots.txt, a home page and three linked pages (about, pricing, contact), served
from 127.0.0.1. With --interval above 0, each host is paced as in a real run: the figure then shows
how concurrency across hosts hides the per-host pause.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from prospecting.crawl import Crawler, CrawlSettings
from prospecting.demo.server import FixtureServer, Reply, Seen

HOME = (
    '<html><head><title>{host}</title></head><body><a href="/about">About</a><a href="/pricing">Pricing</a>'
    '<a href="/contact">Contact</a></body></html>'
)


def site(seen: Seen) -> Reply:
    host = seen.headers.get("Host", "")
    if seen.path == "/robots.txt":
        return Reply(body="User-agent: *\nDisallow: /private\n", content_type="text/plain")
    if seen.path == "/":
        return Reply(body=HOME.format(host=host), content_type="text/html")
    return Reply(body=f"<html><body><h1>{seen.path}</h1><p>{'text ' * 300}</p></body></html>", content_type="text/html")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.0)
    args = parser.parse_args()
    hosts = [f"site{n:04d}.example" for n in range(args.sites)]
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(site) as server:
        local = server.url.split("://")[1]
        settings = CrawlSettings(
            user_agent="prospecting-benchmark",
            cache_path=Path(tmp) / "sites.sqlite",
            concurrency=args.concurrency,
            min_interval=args.interval,
            resolve=dict.fromkeys(hosts, local),
        )
        for label in ("cold (network)", "warm (cache)"):
            crawler = Crawler(settings)
            start = time.perf_counter()
            results = crawler.crawl([f"http://{h}/" for h in hosts])
            seconds = time.perf_counter() - start
            crawler.close()
            pages = sum(len(s.pages) for s in results.values())
            failed = sum(1 for s in results.values() if s.error)
            print(f"{label:<15} {args.sites} sites, {pages} pages in {seconds:.2f} s: {pages / seconds:,.0f} pages/s "
                  f"(concurrency {args.concurrency}, per-host interval {args.interval} s, {failed} sites failed)")  # fmt: skip


if __name__ == "__main__":
    main()
