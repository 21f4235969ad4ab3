# The compose stack's MLflow tracking server: MLflow's own image plus boto3, which its
# --artifacts-destination s3:// (MinIO) needs. The deploy workflow pushes it to ECR as
# <repository>:mlflow-v2.22.0 so hosts pull it instead of building it.
FROM ghcr.io/mlflow/mlflow:v2.22.0
RUN pip install --no-cache-dir boto3==1.38.*
