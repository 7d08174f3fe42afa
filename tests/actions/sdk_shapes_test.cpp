// The SDK output shapes of the aws-sdk integration, from wire responses (XML as AWS and moto
// send it): member names and scalar types as the SDK has them.
#include "actions/sdk_shapes.h"

#include <gtest/gtest.h>

#include "aws/xml.h"

namespace riposte::actions {
namespace {

json::value shaped(const std::string& service, const std::string& op, const std::string& xml) {
  auto doc = aws::XmlDocument::parse(xml);
  EXPECT_TRUE(doc) << doc.error().str();
  return doc ? sdkOutput(service, op, doc->toJson()) : json::value();
}

// As EC2 sends it (member order and empty elements included).
const char* kDescribeInstances = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
 <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
 <reservationSet><item>
  <reservationId>r-1234567890abcdef0</reservationId><ownerId>123456789012</ownerId>
  <groupSet/>
  <instancesSet><item>
   <instanceId>i-1234567890abcdef0</instanceId><imageId>ami-0abcdef1234567890</imageId>
   <instanceState><code>16</code><name>running</name></instanceState>
   <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
   <dnsName>ec2-54-194-252-215.eu-west-1.compute.amazonaws.com</dnsName>
   <reason/><keyName>my_keypair</keyName><amiLaunchIndex>0</amiLaunchIndex>
   <productCodes/><instanceType>t2.micro</instanceType>
   <launchTime>2018-05-08T16:46:19.000Z</launchTime>
   <placement><availabilityZone>eu-west-1c</availabilityZone><groupName/>
    <tenancy>default</tenancy></placement>
   <monitoring><state>disabled</state></monitoring>
   <subnetId>subnet-56f5f633</subnetId><vpcId>vpc-11112222</vpcId>
   <privateIpAddress>192.168.1.88</privateIpAddress><ipAddress>54.194.252.215</ipAddress>
   <sourceDestCheck>true</sourceDestCheck>
   <groupSet><item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item>
    <item><groupId>sg-0a1b2c3d</groupId><groupName>web</groupName></item></groupSet>
   <architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType>
   <rootDeviceName>/dev/xvda</rootDeviceName>
   <blockDeviceMapping><item><deviceName>/dev/xvda</deviceName>
    <ebs><volumeId>vol-1234567890abcdef0</volumeId><status>attached</status>
     <attachTime>2015-12-22T10:44:09.000Z</attachTime>
     <deleteOnTermination>true</deleteOnTermination></ebs></item></blockDeviceMapping>
   <virtualizationType>hvm</virtualizationType><clientToken>xMcwG14507example</clientToken>
   <tagSet><item><key>Name</key><value>Server_1</value></item></tagSet>
   <hypervisor>xen</hypervisor>
   <networkInterfaceSet><item>
    <networkInterfaceId>eni-551ba033</networkInterfaceId><subnetId>subnet-56f5f633</subnetId>
    <vpcId>vpc-11112222</vpcId><description>Primary network interface</description>
    <ownerId>123456789012</ownerId><status>in-use</status>
    <macAddress>02:dd:2c:5e:01:69</macAddress><privateIpAddress>192.168.1.88</privateIpAddress>
    <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
    <sourceDestCheck>true</sourceDestCheck>
    <groupSet><item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item>
    </groupSet>
    <attachment><attachmentId>eni-attach-39697adc</attachmentId><deviceIndex>0</deviceIndex>
     <status>attached</status><attachTime>2018-05-08T16:46:19.000Z</attachTime>
     <deleteOnTermination>true</deleteOnTermination><networkCardIndex>0</networkCardIndex>
    </attachment>
    <association/>
    <privateIpAddressesSet><item><privateIpAddress>192.168.1.88</privateIpAddress>
     <primary>true</primary></item></privateIpAddressesSet>
    <ipv6AddressesSet/><ipv4PrefixSet/><interfaceType>interface</interfaceType>
   </item></networkInterfaceSet>
   <ebsOptimized>false</ebsOptimized><enaSupport>true</enaSupport>
   <cpuOptions><coreCount>1</coreCount><threadsPerCore>1</threadsPerCore></cpuOptions>
   <hibernationOptions><configured>false</configured></hibernationOptions>
   <metadataOptions><state>applied</state><httpTokens>required</httpTokens>
    <httpPutResponseHopLimit>2</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint>
   </metadataOptions>
   <enclaveOptions><enabled>false</enabled></enclaveOptions>
   <stateReason><code/><message/></stateReason>
   <someFutureMember>kept</someFutureMember>
  </item></instancesSet>
 </item></reservationSet>
</DescribeInstancesResponse>)";

TEST(SdkShapes, DescribeInstancesHasTheSdksNamesAndTypes) {
  json::value out = shaped("ec2", "DescribeInstances", kDescribeInstances);
  ASSERT_TRUE(out.is_object()) << toJson(out);
  EXPECT_FALSE(out.as_object().contains("RequestId"));
  const auto& res = out.at("Reservations").as_array().at(0);
  EXPECT_EQ(res.at("ReservationId").as_string(), "r-1234567890abcdef0");
  EXPECT_EQ(res.at("Groups"), json::array());  // an empty list, not ""
  const auto& i = res.at("Instances").as_array().at(0);
  // The instance's groups are SecurityGroups; an ENI's are Groups.
  ASSERT_EQ(i.at("SecurityGroups").as_array().size(), 2u) << toJson(i);
  EXPECT_EQ(i.at("SecurityGroups").as_array()[0].at("GroupId").as_string(), "sg-e4076980");
  EXPECT_FALSE(i.as_object().contains("Groups"));
  const auto& eni = i.at("NetworkInterfaces").as_array().at(0);
  EXPECT_EQ(eni.at("Groups").as_array()[0].at("GroupName").as_string(), "SecurityGroup1");
  // Typed scalars.
  EXPECT_EQ(i.at("State").at("Code"), 16);
  EXPECT_EQ(i.at("State").at("Name").as_string(), "running");
  EXPECT_EQ(i.at("AmiLaunchIndex"), 0);
  EXPECT_EQ(i.at("EbsOptimized"), false);
  EXPECT_EQ(i.at("EnaSupport"), true);
  EXPECT_EQ(i.at("SourceDestCheck"), true);
  EXPECT_EQ(i.at("CpuOptions").at("CoreCount"), 1);
  EXPECT_EQ(i.at("HibernationOptions").at("Configured"), false);
  EXPECT_EQ(i.at("EnclaveOptions").at("Enabled"), false);
  EXPECT_EQ(i.at("MetadataOptions").at("HttpPutResponseHopLimit"), 2);
  EXPECT_EQ(i.at("MetadataOptions").at("HttpTokens").as_string(), "required");
  EXPECT_EQ(i.at("BlockDeviceMappings").as_array()[0].at("Ebs").at("DeleteOnTermination"), true);
  EXPECT_EQ(eni.at("Attachment").at("DeviceIndex"), 0);
  EXPECT_EQ(eni.at("Attachment").at("DeleteOnTermination"), true);
  EXPECT_EQ(eni.at("SourceDestCheck"), true);
  EXPECT_EQ(eni.at("PrivateIpAddresses").as_array()[0].at("Primary"), true);
  // Names the wire spells differently.
  EXPECT_EQ(i.at("PublicDnsName").as_string(),
            "ec2-54-194-252-215.eu-west-1.compute.amazonaws.com");
  EXPECT_EQ(i.at("PublicIpAddress").as_string(), "54.194.252.215");
  EXPECT_EQ(i.at("StateTransitionReason").as_string(), "");
  EXPECT_EQ(i.at("Tags").as_array()[0].at("Key").as_string(), "Name");
  EXPECT_EQ(i.at("Placement").at("AvailabilityZone").as_string(), "eu-west-1c");
  EXPECT_EQ(i.at("LaunchTime").as_string(), "2018-05-08T16:46:19.000Z");  // timestamps: ISO
  // Empty elements: lists [] and structures {}.
  EXPECT_EQ(i.at("ProductCodes"), json::array());
  EXPECT_EQ(eni.at("Association"), json::object());
  EXPECT_EQ(eni.at("Ipv6Addresses"), json::array());
  EXPECT_EQ(eni.at("Ipv4Prefixes"), json::array());
  EXPECT_EQ(i.at("StateReason"), (json::object{{"Code", ""}, {"Message", ""}}));
  for (const char* wire : {"dnsName", "ipAddress", "reason", "groupSet", "instanceState", "DnsName",
                           "IpAddress", "Reason", "InstanceState"}) {
    EXPECT_FALSE(i.as_object().contains(wire)) << wire;
  }
  // A member the table does not know keeps the heuristic shape: nothing is dropped.
  EXPECT_EQ(i.at("SomeFutureMember").as_string(), "kept");
}

TEST(SdkShapes, SecurityGroupsNetworkAclsVolumesAndSnapshots) {
  json::value sg = shaped("ec2", "DescribeSecurityGroups", R"(
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><securityGroupInfo>
<item><groupId>sg-1</groupId><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/>
<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item>
</ipPermissionsEgress><tagSet/><vpcId>vpc-1</vpcId><ownerId>123456789012</ownerId>
<groupName>web</groupName><groupDescription>web sg</groupDescription><ipPermissions><item>
<ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups><item>
<userId>123456789012</userId><groupId>sg-1</groupId></item></groups><ipRanges/><ipv6Ranges/>
<prefixListIds/></item></ipPermissions></item></securityGroupInfo><requestId>r</requestId>
</DescribeSecurityGroupsResponse>)");
  const auto& g = sg.at("SecurityGroups").as_array().at(0);
  EXPECT_EQ(g.at("Description").as_string(), "web sg");
  EXPECT_FALSE(g.as_object().contains("GroupDescription"));
  const auto& in = g.at("IpPermissions").as_array().at(0);
  EXPECT_EQ(in.at("FromPort"), 22);
  EXPECT_EQ(in.at("ToPort"), 22);
  EXPECT_EQ(in.at("UserIdGroupPairs").as_array()[0].at("GroupId").as_string(), "sg-1");
  EXPECT_EQ(in.at("IpRanges"), json::array());
  EXPECT_EQ(g.at("IpPermissionsEgress").as_array()[0].at("UserIdGroupPairs"), json::array());
  EXPECT_EQ(g.at("Tags"), json::array());

  json::value acl = shaped("ec2", "DescribeNetworkAcls", R"(
<DescribeNetworkAclsResponse><networkAclSet><item><associationSet><item>
<networkAclAssociationId>aclassoc-1</networkAclAssociationId><networkAclId>acl-1</networkAclId>
<subnetId>subnet-1</subnetId></item></associationSet><entrySet><item><cidrBlock>0.0.0.0/0</cidrBlock>
<egress>false</egress><protocol>6</protocol><ruleAction>deny</ruleAction><ruleNumber>10</ruleNumber>
<portRange><from>22</from><to>22</to></portRange></item></entrySet><default>true</default>
<networkAclId>acl-1</networkAclId><tagSet/><vpcId>vpc-1</vpcId></item></networkAclSet>
</DescribeNetworkAclsResponse>)");
  const auto& a = acl.at("NetworkAcls").as_array().at(0);
  EXPECT_EQ(a.at("IsDefault"), true);
  EXPECT_EQ(a.at("Associations").as_array()[0].at("SubnetId").as_string(), "subnet-1");
  const auto& e = a.at("Entries").as_array().at(0);
  EXPECT_EQ(e.at("RuleNumber"), 10);
  EXPECT_EQ(e.at("Egress"), false);
  EXPECT_EQ(e.at("PortRange"), (json::object{{"From", 22}, {"To", 22}}));

  json::value vols = shaped("ec2", "DescribeVolumes", R"(
<DescribeVolumesResponse><volumeSet><item><volumeType>gp3</volumeType><volumeId>vol-1</volumeId>
<size>8</size><iops>3000</iops><throughput>125</throughput><status>in-use</status>
<attachmentSet><item><volumeId>vol-1</volumeId><instanceId>i-1</instanceId><device>/dev/xvda</device>
<status>attached</status><deleteOnTermination>true</deleteOnTermination></item></attachmentSet>
<encrypted>false</encrypted><multiAttachEnabled>false</multiAttachEnabled></item></volumeSet>
</DescribeVolumesResponse>)");
  const auto& v = vols.at("Volumes").as_array().at(0);
  EXPECT_EQ(v.at("Size"), 8);
  EXPECT_EQ(v.at("Iops"), 3000);
  EXPECT_EQ(v.at("Throughput"), 125);
  EXPECT_EQ(v.at("State").as_string(), "in-use");
  EXPECT_EQ(v.at("Encrypted"), false);
  EXPECT_EQ(v.at("MultiAttachEnabled"), false);
  EXPECT_EQ(v.at("Attachments").as_array()[0].at("State").as_string(), "attached");
  EXPECT_EQ(v.at("Attachments").as_array()[0].at("DeleteOnTermination"), true);
  EXPECT_FALSE(v.as_object().contains("Status"));

  json::value snap = shaped("ec2", "CreateSnapshot", R"(
<CreateSnapshotResponse><snapshotId>snap-1</snapshotId><volumeId>vol-1</volumeId>
<status>pending</status><startTime>2026-11-23T06:00:00.000Z</startTime><progress/>
<ownerId>123456789012</ownerId><volumeSize>8</volumeSize><description>ir</description>
<encrypted>true</encrypted><tagSet><item><key>riposte:incident</key><value>inc-1</value></item>
</tagSet><requestId>r</requestId></CreateSnapshotResponse>)");
  EXPECT_EQ(snap.at("State").as_string(), "pending");
  EXPECT_EQ(snap.at("VolumeSize"), 8);
  EXPECT_EQ(snap.at("Encrypted"), true);
  EXPECT_EQ(snap.at("Progress").as_string(), "");
  EXPECT_EQ(snap.at("Tags").as_array()[0].at("Value").as_string(), "inc-1");
  EXPECT_FALSE(snap.as_object().contains("RequestId"));
}

TEST(SdkShapes, IamSnsSts) {
  json::value user = shaped("iam", "GetUser", R"(
<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>
<Path>/</Path><UserName>alice</UserName><UserId>AIDA1</UserId><Arn>arn:aws:iam::1:user/alice</Arn>
<CreateDate>2026-11-23T06:00:00Z</CreateDate><Tags><member><Key>team</Key><Value>ir</Value></member>
</Tags></User></GetUserResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</GetUserResponse>)");
  EXPECT_EQ(
      user,
      (json::object{{"User", json::object{{"Path", "/"},
                                          {"UserName", "alice"},
                                          {"UserId", "AIDA1"},
                                          {"Arn", "arn:aws:iam::1:user/alice"},
                                          {"CreateDate", "2026-11-23T06:00:00Z"},
                                          {"Tags", json::array{json::object{{"Key", "team"},
                                                                            {"Value", "ir"}}}}}}}));
  json::value keys = shaped("iam", "ListAccessKeys", R"(
<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata/><IsTruncated>false</IsTruncated>
</ListAccessKeysResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</ListAccessKeysResponse>)");
  EXPECT_EQ(keys, (json::object{{"AccessKeyMetadata", json::array()}, {"IsTruncated", false}}));
  json::value upd = shaped("iam", "UpdateAccessKey", R"(
<UpdateAccessKeyResponse><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</UpdateAccessKeyResponse>)");
  EXPECT_EQ(upd, json::object());
  json::value pub = shaped("sns", "Publish", R"(
<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult>
<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></PublishResponse>)");
  EXPECT_EQ(pub, (json::object{{"MessageId", "m-1"}}));
  json::value who = shaped("sts", "GetCallerIdentity", R"(
<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>AIDA1</UserId>
<Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>
</GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>)");
  EXPECT_EQ(who, (json::object{{"UserId", "AIDA1"},
                               {"Account", "123456789012"},
                               {"Arn", "arn:aws:iam::123456789012:user/alice"}}));
}

TEST(SdkShapes, OtherOperationsKeepTheHeuristicShape) {
  EXPECT_FALSE(hasExactShape("ec2", "DescribeSubnets"));
  json::value subnets = shaped("ec2", "DescribeSubnets", R"(
<DescribeSubnetsResponse><requestId>r</requestId><subnetSet><item><subnetId>subnet-1</subnetId>
<availableIpAddressCount>251</availableIpAddressCount><defaultForAz>false</defaultForAz></item>
</subnetSet></DescribeSubnetsResponse>)");
  // Names from the wire; every scalar a string.
  EXPECT_EQ(subnets,
            (json::object{{"Subnets", json::array{json::object{{"SubnetId", "subnet-1"},
                                                               {"AvailableIpAddressCount", "251"},
                                                               {"DefaultForAz", "false"}}}}}));
  json::value tags = shaped("iam", "TagUser", R"(
<TagUserResponse><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></TagUserResponse>)");
  EXPECT_EQ(tags, json::object());
}

TEST(SdkShapes, TheExactOperationsAreListed) {
  const std::vector<std::string> want = {
      "ec2:CreateSnapshot",         "ec2:DescribeInstances", "ec2:DescribeNetworkAcls",
      "ec2:DescribeSecurityGroups", "ec2:DescribeVolumes",   "iam:GetUser",
      "iam:ListAccessKeys",         "iam:UpdateAccessKey",   "sns:Publish",
      "sts:GetCallerIdentity"};
  EXPECT_EQ(exactShapeOperations(), want);
  for (const auto& op : want) {
    auto colon = op.find(':');
    EXPECT_TRUE(hasExactShape(op.substr(0, colon), op.substr(colon + 1))) << op;
  }
}

}  // namespace
}  // namespace riposte::actions
