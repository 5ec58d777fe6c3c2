"""A local Amazon Personalize emulator that unmodified boto3 talks to over HTTP.

    from perso_iac.emulator import EmulatorServer, EmulatorConfig, VirtualClock

    with EmulatorServer(EmulatorConfig(time_scale=0), port=0) as server:
        client = boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1")

See docs/emulator.md.
"""

from .clock import SystemClock, VirtualClock
from .config import DEFAULT_QUOTAS, EmulatorConfig, FailRule
from .server import EmulatorServer

__all__ = ["DEFAULT_QUOTAS", "EmulatorConfig", "EmulatorServer", "FailRule", "SystemClock", "VirtualClock"]
