"""Random arrival sequences for property-based tests: new inferences, retries,
conflicting duplicates, labels for old hours, corrections, labels that land
before their inference, out-of-order ingestion within the lookback, and
malformed rows, and ids that arrive with surrounding spaces (the same event
once trimmed). Every timestamp is unique (a microsecond counter), so the
contract's ordering rules never meet a tie."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st

CLASSES = ["a", "b", "c", "d"]
START = datetime(2026, 3, 1)


class ArrivalSimulator:
    def __init__(self, draw):
        self.draw = draw
        self.now = START
        self.tick = 0
        self.events: dict[str, dict] = {}      # event_id -> the accepted-looking row
        self.future_ids: list[str] = []        # ids that got a label before their inference
        self.next_id = 0

    def _unique(self, moment: datetime) -> datetime:
        self.tick += 1
        return moment + timedelta(microseconds=self.tick)

    def _ingested(self) -> datetime:
        # out of order: anywhere in the last two hours (the lookback is three)
        return self._unique(self.now - timedelta(minutes=self.draw(st.integers(0, 120))))

    def _padded(self, event_id: str) -> str:
        """The id as a producer may send it: as is, or with a leading or trailing space."""
        return self.draw(st.sampled_from(["{}", "{}", " {}", "{} "])).format(event_id)

    def _new_id(self) -> str:
        self.next_id += 1
        return f"evt-{self.next_id:05d}"

    def _inference(self, event_id: str) -> dict:
        ingested_at = self._ingested()
        event_time = ingested_at - timedelta(minutes=self.draw(st.integers(0, 90)))
        return {
            "event_id": event_id, "event_time": event_time, "ingested_at": ingested_at,
            "model_name": "m", "model_version": self.draw(st.sampled_from(["v1", "v2"])),
            "predicted_class": self.draw(st.sampled_from(CLASSES)),
            "predicted_score": self.draw(st.sampled_from([0.4, 0.7, 0.9])),
            "latency_ms": 12.5, "is_error": False,
            "region": self.draw(st.sampled_from(["eu", "us", None])),
            "device": self.draw(st.sampled_from(["mobile", "desktop"])),
            "channel": self.draw(st.sampled_from(["web", None])),
        }

    def _label(self, event_id: str, not_before: datetime | None) -> dict:
        ingested_at = self._ingested()
        labeled_at = ingested_at - timedelta(minutes=self.draw(st.integers(0, 30)))
        if not_before is not None and labeled_at < not_before:
            labeled_at = self._unique(not_before)
            ingested_at = max(ingested_at, labeled_at)
        return {"event_id": event_id, "label": self.draw(st.sampled_from(CLASSES)),
                "labeled_at": labeled_at, "ingested_at": ingested_at, "label_source": "review"}

    def batch(self) -> tuple[list[dict], list[dict]]:
        """One arrival batch: (inference rows, label rows)."""
        self.now += timedelta(hours=self.draw(st.integers(1, 30)))
        inferences, labels = [], []
        for _ in range(self.draw(st.integers(0, 6))):
            event_id = self.future_ids.pop() if self.future_ids and self.draw(st.booleans()) else self._new_id()
            row = self._inference(event_id)
            self.events[event_id] = row
            inferences.append(row)
        known = sorted(self.events)
        if known:
            for _ in range(self.draw(st.integers(0, 2))):   # identical retries
                row = dict(self.events[self.draw(st.sampled_from(known))])
                row["ingested_at"] = self._unique(self.now)
                row["event_id"] = self._padded(row["event_id"])
                inferences.append(row)
            for _ in range(self.draw(st.integers(0, 1))):   # conflicting duplicate
                row = dict(self.events[self.draw(st.sampled_from(known))])
                row["ingested_at"] = self._unique(self.now)
                row["predicted_class"] = "zz-conflict"
                inferences.append(row)
            for _ in range(self.draw(st.integers(0, 6))):   # labels and corrections, old hours too
                event_id = self.draw(st.sampled_from(known))
                label = self._label(event_id, self.events[event_id]["event_time"])
                label["event_id"] = self._padded(event_id)
                labels.append(label)
        for _ in range(self.draw(st.integers(0, 1))):       # a label before its inference
            event_id = self._new_id()
            self.future_ids.append(event_id)
            labels.append(self._label(event_id, None))
        if self.draw(st.integers(0, 4)) == 0:               # malformed rows
            bad = self._inference(self._new_id())
            bad[self.draw(st.sampled_from(["model_name", "event_id"]))] = None
            inferences.append(bad)
            bad_score = self._inference(self._new_id())
            bad_score["predicted_score"] = 1.5
            inferences.append(bad_score)
            labels.append({"event_id": known[0] if known else "nope", "label": None,
                           "labeled_at": self.now, "ingested_at": self._unique(self.now), "label_source": "x"})
        return inferences, labels


def arrive_and_build(pipe, draw, n_batches: int, build) -> None:
    """Append `n_batches` random arrival batches to the raw tables, calling
    `build()` after each one, as a scheduler would."""
    from classifier_monitor.contract import append_rows

    simulator = ArrivalSimulator(draw)
    for _ in range(n_batches):
        inferences, labels = simulator.batch()
        with pipe.connect() as con:
            append_rows(con, "inference_events", inferences)
            append_rows(con, "label_events", labels)
        build()
