from quizkit.server.traffic import Traffic, TrafficSample


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_traffic_counts_per_second_and_kind():
    clock = _Clock()
    traffic = Traffic(clock=clock)
    traffic.count("text")
    traffic.count("text")
    traffic.count("sticker")
    clock.now = 1_001.2
    traffic.count("text")

    assert traffic.samples() == [
        TrafficSample(1000, "sticker", 1),
        TrafficSample(1000, "text", 2),
        TrafficSample(1001, "text", 1),
    ]
    assert traffic.rate() == 3
    assert traffic.peak == 3
    assert traffic.total == 4


def test_traffic_take_completed_returns_each_second_once():
    clock = _Clock()
    traffic = Traffic(clock=clock)
    traffic.count("text")
    clock.now = 1_001.5
    traffic.count("text")

    assert traffic.take_completed() == [TrafficSample(1000, "text", 1)]
    assert traffic.take_completed() == []
    clock.now = 1_002.0
    assert traffic.take_completed() == [TrafficSample(1001, "text", 1)]


def test_traffic_take_completed_can_include_current_second():
    clock = _Clock()
    traffic = Traffic(clock=clock)
    traffic.count("edited")

    assert traffic.take_completed(include_current=True) == [TrafficSample(1000, "edited", 1)]
    assert traffic.take_completed(include_current=True) == []


def test_traffic_forgets_seconds_outside_window():
    clock = _Clock()
    traffic = Traffic(window_s=10, clock=clock)
    traffic.count("text")
    clock.now = 1_020.0
    traffic.count("text")

    assert traffic.samples() == [TrafficSample(1020, "text", 1)]
    assert traffic.peak == 1
