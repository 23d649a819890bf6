"""`release:` on a service: how a new image reaches traffic (rolling, blue_green, canary), in which steps, and
which alarms roll it back. What each strategy compiles to per cloud is in cdktf_app.release."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
# CodeDeployDefault.ECSCanary10Percent5Minutes: a tenth of the traffic for five minutes, then all of it.
DEFAULT_CANARY_STEPS = ({"percent": 10, "bake": "5m"}, {"percent": 100})
DEFAULT_BLUE_GREEN_STEPS = ({"percent": 100, "bake": "5m"},)


DURATION_TEXT = {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"}


def _schema_of(*choices: dict):
    """The JSON Schema of a field that also takes text (`5m`, `5%`): its validators turn that into the number."""
    def edit(schema: dict) -> None:
        kept = {key: schema[key] for key in ("default", "description", "title") if key in schema}
        schema.clear()
        schema.update(kept, anyOf=list(choices))
    return edit


def _seconds(value: object, what: str) -> float:
    """'5m', '30s', '800ms', '1h' (a bare number is seconds) as seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{what} is a duration such as 30s, 5m or 1h (got {value!r})")
    if isinstance(value, (int, float)):
        return float(value)
    match = DURATION.match(str(value).strip())
    if not match:
        raise ValueError(f"{what} is a duration such as 30s, 5m or 1h (got {value!r})")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReleaseStep(_Strict):
    percent: int = Field(ge=1, le=100, description="share of the traffic the new version gets in this step (1-100)")
    bake: float = Field(0, ge=0, le=86400, description="how long the step runs, its alarms watched, before the next "
                                                       "one (30s, 5m, 1h); 0 goes on at once",
                        json_schema_extra=_schema_of({"type": "number", "minimum": 0, "maximum": 86400}, DURATION_TEXT))

    @field_validator("bake", mode="before")
    @classmethod
    def _bake(cls, value: object) -> float:
        return _seconds(value, "bake")


class RollbackOn(_Strict):
    error_rate: float | None = Field(None, gt=0, le=100, description="roll back when more than this per cent of "
                                                                      "requests fail (5xx), e.g. 5%",
                                     json_schema_extra=_schema_of(
                                         {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                                         {"type": "string", "pattern": r"^\d+(\.\d+)?%$"}, {"type": "null"}))
    p99_latency: float | None = Field(None, gt=0, le=600_000, description="roll back when the 99th percentile "
                                                                          "response time exceeds this, e.g. 800ms "
                                                                          "(a bare number is milliseconds)",
                                      json_schema_extra=_schema_of(
                                          {"type": "number", "exclusiveMinimum": 0, "maximum": 600_000},
                                          DURATION_TEXT, {"type": "null"}))

    @field_validator("error_rate", mode="before")
    @classmethod
    def _percent(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1])
            except ValueError:
                raise ValueError(f"error_rate is a percentage such as 5% (got {value!r})") from None
        return value

    @field_validator("p99_latency", mode="before")
    @classmethod
    def _milliseconds(cls, value: object) -> object:
        if isinstance(value, str):
            return _seconds(value, "p99_latency") * 1000
        return value

    @model_validator(mode="after")
    def _something(self):
        if self.error_rate is None and self.p99_latency is None:
            raise ValueError("rollback_on needs error_rate (e.g. 5%) or p99_latency (e.g. 800ms), or leave it out")
        return self


class Release(_Strict):
    """How a service's new version is released; `nexus release` drives the steps."""

    strategy: Literal["rolling", "blue_green", "canary"] = Field(
        "rolling", description="rolling: tasks replaced in place (the platform's own rollout); blue_green: the new "
                               "version beside the old, then all traffic at once; canary: traffic shifted in steps")
    steps: tuple[ReleaseStep, ...] = Field(
        (), description="traffic steps of the new version, increasing and ending at 100: [10, 50, 100] or "
                        "[{percent: 10, bake: 5m}, ...]; default canary [10% for 5m, 100], blue_green [100 for 5m]",
        json_schema_extra=lambda schema: schema.update(items={"anyOf": [
            schema["items"], {"type": "integer", "minimum": 1, "maximum": 100}]}))
    rollback_on: RollbackOn | None = Field(None, description="alarms that roll the release back when breached "
                                                             "between steps")

    @field_validator("steps", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"percent": item} if isinstance(item, int) and not isinstance(item, bool) else item
                    for item in value]
        return value

    @field_validator("steps")
    @classmethod
    def _increasing_to_all(cls, steps: tuple[ReleaseStep, ...]) -> tuple[ReleaseStep, ...]:
        for index, (before, step) in enumerate(zip(steps, steps[1:]), start=1):
            if step.percent <= before.percent:
                raise ValueError(f"steps must increase: steps[{index}] is {step.percent}% after {before.percent}%")
        if steps and steps[-1].percent != 100:
            raise ValueError(f"the last step must send all traffic (100%) to the new version, not "
                             f"{steps[-1].percent}%")
        return steps

    @model_validator(mode="after")
    def _steps_fit_strategy(self):
        if self.strategy == "rolling" and self.steps:
            raise ValueError("steps need strategy canary or blue_green; a rolling release replaces tasks in place")
        if self.strategy == "blue_green" and len(self.steps) > 1:
            raise ValueError("blue_green switches all traffic at once: give one step [100] (its bake is how long "
                             "the old version stays ready), or use strategy canary for several")
        return self

    @property
    def traffic_steps(self) -> tuple[ReleaseStep, ...]:
        """The steps as written, or the strategy's default."""
        if self.steps or self.strategy == "rolling":
            return self.steps
        default = DEFAULT_CANARY_STEPS if self.strategy == "canary" else DEFAULT_BLUE_GREEN_STEPS
        return tuple(ReleaseStep.model_validate(step) for step in default)

    @property
    def shifts_traffic(self) -> bool:
        """Whether the new version runs beside the old with a share of the traffic (two target groups or
        revisions), as canary and blue_green do."""
        return self.strategy != "rolling"
