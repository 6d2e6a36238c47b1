"""Apache dubbo-python's import path for the configuration classes."""

from ._config import ApplicationConfig, ReferenceConfig, RegistryConfig, ServiceConfig

__all__ = ["ApplicationConfig", "ReferenceConfig", "RegistryConfig", "ServiceConfig"]
