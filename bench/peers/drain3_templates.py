"""drain3 (PyPI) with its defaults on every line of LINES; writes each line's final template to
OUT (one per line) and prints the mining time. The peer of bench/src/bin/mine-templates.rs."""
import logging
import sys
import time

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

logging.disable(logging.WARNING)
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
config = TemplateMinerConfig()
config.profiling_enabled = False
miner = TemplateMiner(config=config)
start = time.perf_counter()
ids = [miner.add_log_message(line)["cluster_id"] for line in lines]
elapsed = time.perf_counter() - start
clusters = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i in ids:
        out.write(clusters[i] + "\n")
print(f"drain3: {len(lines)} lines, {len(clusters)} clusters, {elapsed:.3f} s")
