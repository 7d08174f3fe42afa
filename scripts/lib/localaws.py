"""A local AWS (moto_server) and a riposte process, for the demo and the integration tests.

Everything listens on 127.0.0.1 on free ports; nothing leaves loopback.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

import requests

MOTO_MISSING = "moto_server not found: pip install 'moto[server]' (riposte's demo and integration tests play AWS with moto 5)"
REGION = "us-east-1"
ACCOUNT = "123456789012"
AMI = "ami-04681a1dbd79675a5"  # amzn2 x86_64, from moto's bundled list


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            r = requests.get(url, timeout=1)
            if r.status_code < 500:
                return
        except requests.RequestException as e:  # not up yet
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {last}")


class MotoServer:
    """moto_server on a free loopback port, started and stopped by us."""

    def __init__(self) -> None:
        exe = shutil.which("moto_server")
        if not exe:
            raise RuntimeError(MOTO_MISSING)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_http(self.endpoint + "/moto-api/", 30, self.proc)

    def reset(self) -> None:
        requests.post(self.endpoint + "/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def client(self, service: str, region: str = REGION):
        import boto3
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id="test", aws_secret_access_key="test")


class Environment:
    """The demo's small AWS estate: a VPC and subnet, two application security groups, one
    running instance in both, an SNS topic subscribed by an SQS queue, Security Hub enabled."""

    def __init__(self, moto: MotoServer, region: str = REGION) -> None:
        self.moto = moto
        self.ec2 = moto.client("ec2", region)
        self.sns = moto.client("sns", region)
        self.sqs = moto.client("sqs", region)
        self.securityhub = moto.client("securityhub", region)
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]
        self.vpc_id = vpc["VpcId"]
        self.subnet_id = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        self.web_sg = self.ec2.create_security_group(GroupName="web", Description="web tier", VpcId=self.vpc_id)["GroupId"]
        self.app_sg = self.ec2.create_security_group(GroupName="app", Description="app tier", VpcId=self.vpc_id)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=self.web_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.instance_id = self.run_instance()
        self.topic_arn = self.sns.create_topic(Name="security-alerts")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="security-alerts-inbox")["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=qarn)
        self.securityhub.enable_security_hub()

    def run_instance(self) -> str:
        r = self.ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                   SubnetId=self.subnet_id, SecurityGroupIds=[self.web_sg, self.app_sg],
                                   BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
                                   TagSpecifications=[{"ResourceType": "instance",
                                                       "Tags": [{"Key": "Name", "Value": "web-1"}]}])
        return r["Instances"][0]["InstanceId"]

    # --- observations, through AWS API calls ---
    def instance(self, instance_id: str | None = None) -> dict:
        r = self.ec2.describe_instances(InstanceIds=[instance_id or self.instance_id])
        return r["Reservations"][0]["Instances"][0]

    def instance_groups(self, instance_id: str | None = None) -> list[str]:
        return sorted(g["GroupId"] for g in self.instance(instance_id)["SecurityGroups"])

    def eni_groups(self, instance_id: str | None = None) -> list[list[str]]:
        return [sorted(g["GroupId"] for g in eni["Groups"])
                for eni in self.instance(instance_id)["NetworkInterfaces"]]

    def tags(self, instance_id: str | None = None) -> dict:
        return {t["Key"]: t["Value"] for t in self.instance(instance_id).get("Tags", [])}

    def security_group(self, group_id: str) -> dict:
        return self.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]

    def nacl_entries(self) -> list[dict]:
        acl = self.ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [self.subnet_id]}])
        return acl["NetworkAcls"][0]["Entries"]

    def messages(self, wait: int = 1) -> list[dict]:
        out = []
        while True:
            r = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
            msgs = r.get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
            wait = 0

    def securityhub_findings(self) -> list[dict]:
        out, token = [], None
        while True:
            kw = {"MaxResults": 100}
            if token:
                kw["NextToken"] = token
            r = self.securityhub.get_findings(**kw)
            out += r["Findings"]
            token = r.get("NextToken")
            if not token:
                return out


def guardduty_finding(instance_id: str, severity: float = 8.0, remote_ip: str | None = "198.51.100.7",
                      finding_type: str = "UnauthorizedAccess:EC2/SSHBruteForce",
                      finding_id: str | None = None, region: str = REGION, account: str = ACCOUNT,
                      instance_state: str = "running") -> dict:
    """A realistic GuardDuty finding (the `detail` of a "GuardDuty Finding" event)."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    fid = finding_id or uuid.uuid4().hex
    action = {"actionType": "NETWORK_CONNECTION",
              "networkConnectionAction": {
                  "connectionDirection": "INBOUND", "blocked": False, "protocol": "TCP",
                  "localPortDetails": {"port": 22, "portName": "SSH"},
                  "remotePortDetails": {"port": 43122, "portName": "Unknown"},
                  "localIpDetails": {"ipAddressV4": "10.20.1.10"}}}
    if remote_ip:
        action["networkConnectionAction"]["remoteIpDetails"] = {
            "ipAddressV4": remote_ip, "organization": {"asn": "64496", "asnOrg": "EXAMPLE-NET", "isp": "Example ISP", "org": "Example"},
            "country": {"countryName": "Exampleland"}, "city": {"cityName": "Example City"},
            "geoLocation": {"lat": 0.0, "lon": 0.0}}
    return {
        "schemaVersion": "2.0", "accountId": account, "region": region, "partition": "aws",
        "id": fid, "arn": f"arn:aws:guardduty:{region}:{account}:detector/d0e1f2/finding/{fid}",
        "type": finding_type,
        "resource": {"resourceType": "Instance", "instanceDetails": {
            "instanceId": instance_id, "instanceType": "t3.micro", "instanceState": instance_state,
            "availabilityZone": f"{region}a", "imageId": AMI,
            "networkInterfaces": [{"privateIpAddress": "10.20.1.10", "subnetId": "", "vpcId": ""}],
            "tags": [{"key": "Name", "value": "web-1"}]}},
        "service": {"serviceName": "guardduty", "detectorId": "d0e1f2", "archived": False,
                    "count": 1, "eventFirstSeen": now, "eventLastSeen": now,
                    "resourceRole": "TARGET", "action": action},
        "severity": severity, "createdAt": now, "updatedAt": now,
        "title": f"{remote_ip or 'An address'} is performing SSH brute force attacks against {instance_id}.",
        "description": f"{remote_ip or 'An address'} is performing SSH brute force attacks against {instance_id}. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.",
    }


def guardduty_event(finding: dict) -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty", "account": finding["accountId"], "time": finding["updatedAt"][:19] + "Z",
            "region": finding["region"], "resources": [], "detail": finding}


# Who the harness's API tokens are for: an operator with every scope, and the approvers the tests
# name (approvals.groups), who may read and respond.
OPERATOR = "operator"
PEOPLE = ("alice", "bob", "carol", "dave", "security-oncall")
SIGV4_KEY_ID = "AKIARIPOSTETEST00001"


def new_token() -> tuple[str, str]:
    """A token as `riposte token create` makes one, and its SHA-256."""
    token = "rpt_" + secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


class Riposte:
    """`riposte serve` on a free port with a fresh SQLite store, and API credentials for it.

    The credentials file (`serve --credentials`) holds a token for OPERATOR (every scope), one
    for each of PEOPLE (read, respond), and a SigV4 access key (SIGV4_KEY_ID, its secret in the
    environment riposte runs in) for the AWS CLI. post() and get() send OPERATOR's token, or
    the token of `as_` (also taken from an X-Riposte-Actor header)."""

    def __init__(self, binary: str, config_dir: str, moto: MotoServer | None, env: dict | None = None,
                 store: str | None = None, workdir: str | None = None,
                 credentials: bool = True, credentials_file: str | None = None) -> None:
        self.binary = binary
        self.config_dir = config_dir
        self.workdir = workdir or tempfile.mkdtemp(prefix="riposte-")
        self.store = store or f"sqlite://{self.workdir}/riposte.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                         "AWS_DEFAULT_REGION": REGION})
        if moto is not None:
            self.env["AWS_ENDPOINT_URL"] = moto.endpoint
        self.tokens: dict[str, str] = {}
        self.sigv4_secret = secrets.token_urlsafe(30)
        self.credentials = credentials_file
        if credentials and not credentials_file:
            self.credentials = os.path.join(self.workdir, "credentials.yaml")
            lines = ["tokens:"]
            for who in (OPERATOR, *PEOPLE):
                token, digest = new_token()
                self.tokens[who] = token
                scopes = "[ingest, read, respond, admin]" if who == OPERATOR else "[read, respond]"
                lines.append(f"  - {{subject: {who}, sha256: {digest}, scopes: {scopes}}}")
            lines += ["access_keys:",
                      f"  - {{access_key_id: {SIGV4_KEY_ID}, secret_env: RIPOSTE_TEST_SIGV4_SECRET, "
                      "subject: aws-cli, scopes: [ingest, read, respond]}"]
            fd = os.open(self.credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("\n".join(lines) + "\n")
            self.env["RIPOSTE_TEST_SIGV4_SECRET"] = self.sigv4_secret
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        self.start()

    def auth(self, as_: str | None = None) -> dict:
        """The Authorization header of `as_`'s token (OPERATOR's by default)."""
        token = self.tokens.get(as_ or OPERATOR)
        return {"Authorization": "Bearer " + token} if token else {}

    def aws_env(self, **more) -> dict:
        """An environment in which the real AWS CLI signs for riposte's SigV4 access key."""
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": SIGV4_KEY_ID, "AWS_SECRET_ACCESS_KEY": self.sigv4_secret,
                    "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
        for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        env.update(more)
        return env

    def start(self) -> None:
        self.log = open(os.path.join(self.workdir, "riposte.log"), "ab")
        cmd = [self.binary, "serve", "--config", self.config_dir,
               "--listen", f"127.0.0.1:{self.port}", "--store", self.store]
        if self.credentials:
            cmd += ["--credentials", self.credentials]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(self.url + "/healthz", 20, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def logs(self) -> str:
        with open(os.path.join(self.workdir, "riposte.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def _headers(self, as_: str | None, headers: dict | None) -> dict:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        actor = {k.lower(): v for k, v in h.items()}.get("x-riposte-actor")
        if "authorization" not in {k.lower() for k in h}:
            h.update(self.auth(as_ or actor))
        return h

    def post(self, path: str, body, as_: str | None = None, headers: dict | None = None,
             **kw) -> requests.Response:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return requests.post(self.url + path, data=data, timeout=30,
                             headers=self._headers(as_, headers), **kw)

    def delete(self, path: str, as_: str | None = None, **kw) -> requests.Response:
        return requests.delete(self.url + path, timeout=30, headers=self.auth(as_), **kw)

    def get(self, path: str, as_: str | None = None, headers: dict | None = None) -> requests.Response:
        h = dict(self.auth(as_))
        h.update(headers or {})
        return requests.get(self.url + path, timeout=30, headers=h)

    def incidents(self) -> list[dict]:
        r = self.get("/v1/incidents")
        r.raise_for_status()
        return r.json()["incidents"]

    def wait_incident(self, resource_id: str, timeout: float = 30.0,
                      settled=("contained", "notified", "recorded", "failed", "planned", "responded")) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for inc in self.incidents():
                if inc["resource"]["id"] == resource_id and inc["status"] in settled:
                    return self.get("/v1/incidents/" + inc["id"]).json()
            time.sleep(0.05)
        raise AssertionError(f"no settled incident for {resource_id} within {timeout}s; incidents: {self.incidents()}\n{self.logs()[-4000:]}")
