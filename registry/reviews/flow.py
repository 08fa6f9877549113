"""A small min-cost flow (successive shortest paths, Dijkstra with potentials).

Enough for one call's assignment problem: a few hundred applications, tens of reviewers.
Costs must be non-negative integers.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field


@dataclass
class _Edge:
    to: int
    capacity: int
    cost: int
    reverse: int  # index of the reverse edge in graph[to]


@dataclass
class FlowNetwork:
    size: int
    graph: list[list[_Edge]] = field(init=False)

    def __post_init__(self) -> None:
        self.graph = [[] for _ in range(self.size)]

    def add_edge(self, source: int, target: int, capacity: int, cost: int) -> tuple[int, int]:
        """Returns where the edge lives, to read its flow afterwards."""
        forward = _Edge(target, capacity, cost, len(self.graph[target]))
        backward = _Edge(source, 0, -cost, len(self.graph[source]))
        self.graph[source].append(forward)
        self.graph[target].append(backward)
        return source, len(self.graph[source]) - 1

    def flow_on(self, where: tuple[int, int], capacity: int) -> int:
        node, index = where
        return capacity - self.graph[node][index].capacity

    def min_cost_flow(self, source: int, sink: int, limit: int) -> tuple[int, int]:
        """Pushes up to `limit` units at minimum cost; returns (flow, cost)."""
        potential = [0] * self.size
        flow = cost = 0
        infinity = float("inf")
        while flow < limit:
            distance: list[float] = [infinity] * self.size
            previous: list[tuple[int, int] | None] = [None] * self.size
            distance[source] = 0
            heap: list[tuple[float, int]] = [(0, source)]
            while heap:
                d, node = heapq.heappop(heap)
                if d > distance[node]:
                    continue
                for index, edge in enumerate(self.graph[node]):
                    if edge.capacity <= 0:
                        continue
                    candidate = d + edge.cost + potential[node] - potential[edge.to]
                    if candidate < distance[edge.to]:
                        distance[edge.to] = candidate
                        previous[edge.to] = (node, index)
                        heapq.heappush(heap, (candidate, edge.to))
            if distance[sink] == infinity:
                break
            for node in range(self.size):
                if distance[node] < infinity:
                    potential[node] += int(distance[node])
            push = limit - flow
            node = sink
            while node != source:
                parent, index = previous[node]  # type: ignore[misc]
                push = min(push, self.graph[parent][index].capacity)
                node = parent
            node = sink
            while node != source:
                parent, index = previous[node]  # type: ignore[misc]
                edge = self.graph[parent][index]
                edge.capacity -= push
                self.graph[node][edge.reverse].capacity += push
                cost += push * edge.cost
                node = parent
            flow += push
        return flow, cost
