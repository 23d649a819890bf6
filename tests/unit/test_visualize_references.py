"""Reference extraction: only interpolations count, attribute chains and literals add nothing; fuzzed."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cdktf_app.inventory.references import addresses_in, interpolations, locals_in


def test_interpolations_balance_braces_and_skip_escaped_dollars():
    text = 'a ${merge({x = 1}, {y = aws_vpc.main.id})} b $${not.this} c ${data.aws_ami.ubuntu.id}'
    assert list(interpolations(text)) == ["merge({x = 1}, {y = aws_vpc.main.id})", "data.aws_ami.ubuntu.id"]


def test_addresses_from_expressions_not_from_literals_or_attribute_chains():
    body = {
        "vpc_id": "${aws_vpc.main.id}",
        "subnets": ["${aws_subnet.private[count.index].id}", "${element(aws_subnet.public[*].id, 0)}"],
        "ami": "${data.aws_ami.ubuntu.image_id}",
        "cluster": "${module.eks.cluster_name}",
        "route": "${aws_route_table.rt.default_route.table_id}",
        "name": "aws_vpc.literal_name",                    # a plain string, not an expression
        "policy": '${jsonencode({"Resource": "aws_s3_bucket.inside_a_string"})}',
        "iterator": "${ingress.value}",
        "escaped": "$${aws_iam_role.not_a_reference}",
        "nested": {"for": "${[for s in aws_subnet.extra : s.id]}"},
    }
    assert addresses_in(body) == {"aws_vpc.main", "aws_subnet.private", "aws_subnet.public", "data.aws_ami.ubuntu",
                                  "module.eks", "aws_route_table.rt", "aws_subnet.extra"}


def test_locals_are_found_by_name():
    assert locals_in({"a": "${local.vpc_id}", "b": "${merge(local.tags, {x = local.other_one})}",
                      "c": "local.not_in_expression"}) == {"vpc_id", "tags", "other_one"}


NAME = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
TYPE = st.from_regex(r"(aws|google|azurerm)_[a-z][a-z0-9_]{0,15}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_handled_without_error(text):
    found = addresses_in({"text": text, text: [text]})
    assert all("." in address for address in found)


@settings(max_examples=200, deadline=None)
@given(TYPE, NAME, st.sampled_from(["id", "arn", "name[0]", "tags[\"a\"]"]), st.text(max_size=30))
def test_an_embedded_reference_is_always_found(resource_type, name, attribute, noise):
    noise = noise.replace("$", "").replace("{", "").replace("}", "")
    text = f"{noise}${{{resource_type}.{name}.{attribute}}}{noise}"
    assert f"{resource_type}.{name}" in addresses_in(text)
