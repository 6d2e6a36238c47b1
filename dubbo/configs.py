"""Apache dubbo-python's import path for the configuration classes."""

from ._core.config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig

__all__ = ["ApplicationConfig", "ReferenceConfig", "RegistryConfig", "ServiceConfig"]
