"""Contract constants shared with the TypeScript side.

FEATURE_NAMES is the golden copy of schema v1 (lib/features/catalog.ts, FEATURE_NAMES); a test parses
the TS catalog and fails when the two drift. REGIME_NAMES follow overseer.v1.Regime (without
REGIME_UNSPECIFIED); their order is the column order of every regime probability tensor.
"""

SCHEMA_VERSION = 1

FEATURE_NAMES: tuple[str, ...] = (
    "tma_retiring_fraction",
    "tma_frontend_bound_fraction",
    "tma_bad_speculation_fraction",
    "tma_backend_bound_fraction",
    "tma_memory_bound_fraction",
    "tma_core_bound_fraction",
    "l3_bound_stall_fraction",
    "dram_bound_stall_fraction",
    "llc_misses_per_kilo_instr",
    "l2_misses_per_kilo_instr",
    "instructions_per_ref_cycle",
    "cpu_utilization_fraction",
    "mem_read_bytes_per_sec",
    "mem_write_bytes_per_sec",
    "mem_bandwidth_fraction_of_peak",
    "llc_occupancy_fraction",
    "mbm_total_bytes_per_sec",
)
FEATURE_COUNT = len(FEATURE_NAMES)

REGIME_NAMES: tuple[str, ...] = (
    "REGIME_QUIET",
    "REGIME_CORE_BOUND",
    "REGIME_LLC_CONTENDED",
    "REGIME_MEMORY_BANDWIDTH_SATURATED",
    "REGIME_MIXED",
)
REGIME_COUNT = len(REGIME_NAMES)

# overseer.v1.SoloProfile fields, in the order the interference model reads them.
PROFILE_FEATURE_NAMES: tuple[str, ...] = (
    "cores",
    "instructions_per_sec",
    "llc_working_set_bytes",
    "mem_read_bytes_per_sec",
    "mem_write_bytes_per_sec",
    "llc_misses_per_kilo_instr",
    "tma_retiring_fraction",
    "tma_backend_bound_fraction",
    "tma_memory_bound_fraction",
    "l2_misses_per_kilo_instr",
    "l3_bound_stall_fraction",
    "dram_bound_stall_fraction",
    "llc_hit_ratio_at_quarter_working_set",
)
PROFILE_COUNT = len(PROFILE_FEATURE_NAMES)

PRESENT_STATE = "FEATURE_STATE_PRESENT"

CORPUS_FORMAT = "overseer-corpus"
CORPUS_FORMAT_VERSION = 1
BUNDLE_FORMAT_VERSION = 1


def snake_to_camel(name: str) -> str:
    """proto3 JSON field name of a proto field (lowerCamelCase)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


PROFILE_JSON_KEYS: tuple[str, ...] = tuple(snake_to_camel(n) for n in PROFILE_FEATURE_NAMES)
