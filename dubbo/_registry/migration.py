"""Which level a consumer's providers come from: Java's migration steps.

- ``FORCE_INTERFACE``: interface-level providers only (``/dubbo/{interface}/providers``).
- ``APPLICATION_FIRST`` (the default, ``MigrationRule#getStep``): both are watched; the
  application-level ones are used when there are any and, if there are interface-level ones
  too, when ``app / interface >= threshold`` (``DefaultMigrationAddressComparator``, threshold
  ``0.0`` by default, so any application-level provider wins); else the interface-level ones.
  Decided again on every change of either (``MigrationInvoker#calcPreferredInvoker``).
- ``FORCE_APPLICATION``: application-level providers only.

Keys, as in Java: per reference ``migration.step`` and ``migration.threshold``
(``ReferenceConfig.parameters``); per registry the global ``dubbo.application.migration.step``
(or its older name ``dubbo.application.service-discovery.migration``) and
``dubbo.application.migration.threshold``, or the reference keys, as registry URL parameters.
The reference's own win.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, List, Mapping, Optional

from .._core.config import ReferenceConfig
from .applications import ApplicationSubscription
from .url import URL
from .zookeeper import ZooKeeperRegistry

__all__ = ["MigrationRule", "MigratingSubscription", "STEPS", "should_migrate"]

log = logging.getLogger("dubbo.registry")

FORCE_INTERFACE, APPLICATION_FIRST, FORCE_APPLICATION = "FORCE_INTERFACE", "APPLICATION_FIRST", "FORCE_APPLICATION"
STEPS = (FORCE_INTERFACE, APPLICATION_FIRST, FORCE_APPLICATION)
_STEP_KEYS = ("migration.step", "dubbo.application.migration.step", "dubbo.application.service-discovery.migration")
_THRESHOLD_KEYS = ("migration.threshold", "dubbo.application.migration.threshold")

Listener = Callable[[List[URL], List[URL]], None]  # (providers, configurators)


def _first(keys: tuple, *sources: Mapping[str, str]) -> Optional[str]:
    for source in sources:
        for key in keys:
            if source.get(key):
                return source[key]
    return None


@dataclass(frozen=True)
class MigrationRule:
    """A consumer's migration step and threshold."""

    step: str = APPLICATION_FIRST
    threshold: float = 0.0

    @classmethod
    def of(cls, reference: Mapping[str, str], registry: Mapping[str, str]) -> "MigrationRule":
        """The rule from a reference's and a registry's parameters (the reference's win)."""
        step = (_first(_STEP_KEYS, reference, registry) or APPLICATION_FIRST).upper()
        if step not in STEPS:
            raise ValueError(f"unknown migration step {step!r}; choose one of {', '.join(STEPS)}")
        raw = _first(_THRESHOLD_KEYS, reference, registry)
        try:
            threshold = float(raw) if raw else 0.0
        except ValueError:
            raise ValueError(f"migration threshold {raw!r} is not a number") from None
        return cls(step, threshold if threshold >= 0 else 0.0)


def should_migrate(application: int, interface: int, threshold: float) -> bool:
    """``DefaultMigrationAddressComparator#shouldMigrate``: use the application-level addresses?"""
    if application == 0:
        return False
    if interface == 0:
        return True
    return application / interface >= threshold


class MigratingSubscription:
    """Watches the levels ``rule`` asks for and hands the chosen level's providers to ``listener``."""

    def __init__(self, registry: ZooKeeperRegistry, consumer: URL, listener: Listener, rule: MigrationRule,
                 reference: Optional[ReferenceConfig] = None) -> None:
        self.rule = rule
        self._service = consumer.interface
        self._listener = listener
        self._lock = threading.RLock()
        self._started = False
        self._interface: List[URL] = []
        self._configurators: List[URL] = []
        self._application: List[URL] = []
        self.level: Optional[str] = None  # "interface" or "application": the one in use
        self._interface_subscription = None
        self._application_subscription: Optional[ApplicationSubscription] = None
        try:
            if rule.step != FORCE_APPLICATION:
                self._interface_subscription = registry.subscribe(consumer, self._on_interface)
            if rule.step != FORCE_INTERFACE:
                self._application_subscription = ApplicationSubscription(
                    registry, consumer, self._on_application, reference
                )
        except BaseException:
            self.close()
            raise
        with self._lock:
            self._started = True
            self._decide()

    def _on_interface(self, providers: List[URL], configurators: List[URL]) -> None:
        with self._lock:
            self._interface, self._configurators = providers, configurators
            self._decide()

    def _on_application(self, providers: List[URL]) -> None:
        with self._lock:
            self._application = providers
            self._decide()

    def _decide(self) -> None:
        if not self._started:
            return  # both levels are read once before the first decision, as Java's migrateToApplicationFirstInvoker
        step = self.rule.step
        if step == FORCE_INTERFACE:
            level = "interface"
        elif step == FORCE_APPLICATION:
            level = "application"
        else:
            migrate = should_migrate(len(self._application), len(self._interface), self.rule.threshold)
            level = "application" if migrate else "interface"
        if level != self.level:
            log.info("registry: %s uses its %s-level providers (%d application-level, %d interface-level; %s)",
                     self._service, level, len(self._application), len(self._interface), step)
            self.level = level
        chosen = self._application if level == "application" else self._interface
        self._listener(chosen, self._configurators)

    def refresh(self) -> None:
        """Re-read both levels."""
        if self._interface_subscription is not None:
            self._interface_subscription.refresh()
        if self._application_subscription is not None:
            self._application_subscription.refresh()

    def close(self) -> None:
        if self._interface_subscription is not None:
            self._interface_subscription.close()
        if self._application_subscription is not None:
            self._application_subscription.close()
