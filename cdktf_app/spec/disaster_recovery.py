"""`dr:` at spec level or on a data component (database, bucket, document_store): a second region the data
survives in, the recovery targets, and how much runs there before a disaster. What each mode compiles to per
cloud, the targets each mode can meet and the runbook are in cdktf_app.dr."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .release import _seconds

MODES = ("backup", "pilot_light", "warm_standby")


class DisasterRecovery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    region: str = Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$",
                        description="the recovery region, of the data's own cloud (us-west-2, us-west1, westus); "
                                    "never the primary region")
    provider: Literal["aws", "gcp", "azure"] | None = Field(
        None, description="the cloud the recovery region belongs to; default: the data's cloud (required at spec "
                          "level when the spec has several clouds)")
    mode: Literal[MODES] = Field(
        "backup", description="backup: cross-region backup copies only; pilot_light: data replicated, compute "
                              "built at zero in the recovery region; warm_standby: data replicated and a scaled-down "
                              "copy running there")
    rpo: float | None = Field(None, gt=0, le=7 * 86400,
                              description="recovery point objective, the data loss accepted (15m, 1h, 24h); "
                                          "default: the best the mode reaches")
    rto: float | None = Field(None, gt=0, le=7 * 86400,
                              description="recovery time objective, the time to serve again (15m, 1h, 4h); "
                                          "default: the best the mode reaches")

    @field_validator("rpo", "rto", mode="before")
    @classmethod
    def _duration(cls, value: object, info) -> float:
        return value if value is None else _seconds(value, info.field_name)
