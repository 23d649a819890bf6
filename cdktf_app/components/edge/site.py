"""An edge location: a k3s cluster managed through the kubernetes provider, set up by modules/edge-site."""
from __future__ import annotations

from ...kit.context import StackContext

EDGE_SECTION = "providers.edge"


def build_edge_site(ctx: StackContext, location: str) -> None:
    import cdktn
    from cdktn_provider_kubernetes.provider import KubernetesProvider

    edge = ctx.spec.providers.edge
    kubeconfig = cdktn.TerraformVariable(
        ctx.stack, "kubeconfig", type="string", default=f"~/.kube/nexus-{location}.yaml",
        description=f"kubeconfig of the {edge.distribution} cluster at edge location {location}")
    KubernetesProvider(ctx.stack, "kubernetes", config_path=kubeconfig.string_value)
    site = ctx.hcl_module(f"{EDGE_SECTION}.locations", "site", "edge-site",
                          {**edge.site_inputs, "site_name": location, "update_strategy": edge.update_strategy,
                           "labels": ctx.labels()})
    cdktn.TerraformOutput(ctx.stack, "update_strategy", value=edge.update_strategy,
                          description="how this site receives updates; read by the bundle step")
    cdktn.TerraformOutput(ctx.stack, "namespace", value=site.get_string("namespace"))
