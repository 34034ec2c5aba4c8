"""Lambda function sources shipped by the program (each file is self-contained: boto3 only)."""
