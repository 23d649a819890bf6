"""NEXUS_AWS_REQUIRED_TAGS: taggable AWS resources carry every tag of the spec, with the spec's value.

Tags are how cost, ownership and data classification reach the cloud console and billing. The required tags come
from the scan context (`required_tags`); without a context, or with no required tags, nothing is reported.
"""
from _nexus_support import RequiredTagsCheck

TAGGABLE = (
    "aws_cloudfront_distribution", "aws_cloudwatch_log_group", "aws_cloudwatch_metric_alarm", "aws_db_instance",
    "aws_db_parameter_group", "aws_db_subnet_group", "aws_dynamodb_table", "aws_ebs_volume", "aws_ecr_repository",
    "aws_ecs_cluster", "aws_ecs_service", "aws_ecs_task_definition", "aws_efs_file_system", "aws_eip",
    "aws_eks_cluster", "aws_eks_node_group", "aws_elasticache_replication_group", "aws_elasticache_subnet_group",
    "aws_flow_log", "aws_iam_role", "aws_instance", "aws_internet_gateway", "aws_kinesis_stream", "aws_kms_key",
    "aws_lambda_function", "aws_launch_template", "aws_lb", "aws_lb_target_group", "aws_nat_gateway",
    "aws_rds_cluster", "aws_route_table", "aws_s3_bucket", "aws_secretsmanager_secret", "aws_security_group",
    "aws_sns_topic", "aws_sqs_queue", "aws_subnet", "aws_vpc", "aws_wafv2_web_acl",
)


class AwsRequiredTags(RequiredTagsCheck):
    def __init__(self) -> None:
        super().__init__(name="AWS resource carries the spec's required tags", id="NEXUS_AWS_REQUIRED_TAGS",
                         supported_resources=TAGGABLE)


check = AwsRequiredTags()
