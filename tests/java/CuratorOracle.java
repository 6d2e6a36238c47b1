package org.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.*;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.dubbo.registry.zookeeper.ZookeeperInstance;

/**
 * What Java decides, for tests/test_app_discovery.py:
 *   read HOSTS BASE APP      Curator's ServiceDiscovery (as Dubbo's ZookeeperServiceDiscovery builds it)
 *                            reads APP's instances: one JSON line each
 *   register HOSTS BASE APP HOST PORT METADATA_JSON
 *                            registers an instance as a Java provider does, prints "registered",
 *                            and keeps its session until stdin closes
 *   revision                 the revision of the metadata JSON on stdin, computed as
 *                            MetadataInfo#calAndGetRevision does
 */
public class CuratorOracle {
    static final ObjectMapper JSON = new ObjectMapper();

    static ServiceDiscovery<ZookeeperInstance> discovery(CuratorFramework client, String base) throws Exception {
        // CuratorFrameworkUtils#buildServiceDiscovery
        ServiceDiscovery<ZookeeperInstance> d = ServiceDiscoveryBuilder.builder(ZookeeperInstance.class)
                .client(client).basePath(base).build();
        d.start();
        return d;
    }

    static CuratorFramework connect(String hosts) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(hosts)
                .retryPolicy(new ExponentialBackoffRetry(1000, 3)).build();
        client.start();
        client.blockUntilConnected();
        return client;
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "read": {
                try (CuratorFramework client = connect(args[1])) {
                    ServiceDiscovery<ZookeeperInstance> d = discovery(client, args[2]);
                    for (ServiceInstance<ZookeeperInstance> i : d.queryForInstances(args[3])) {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("name", i.getName());
                        out.put("id", i.getId());
                        out.put("address", i.getAddress());
                        out.put("port", i.getPort());
                        out.put("serviceType", i.getServiceType().name());
                        out.put("payloadClass", i.getPayload().getClass().getName());
                        out.put("payloadId", i.getPayload().getId());
                        out.put("payloadName", i.getPayload().getName());
                        out.put("metadata", i.getPayload().getMetadata());
                        System.out.println(JSON.writeValueAsString(out));
                    }
                    d.close();
                }
                break;
            }
            case "register": {
                try (CuratorFramework client = connect(args[1])) {
                    ServiceDiscovery<ZookeeperInstance> d = discovery(client, args[2]);
                    String app = args[3], host = args[4];
                    int port = Integer.parseInt(args[5]);
                    @SuppressWarnings("unchecked")
                    Map<String, String> metadata = new TreeMap<>(JSON.readValue(args[6], Map.class));
                    String id = host + ":" + port; // CuratorFrameworkUtils#generateId
                    d.registerService(ServiceInstance.<ZookeeperInstance>builder().id(id).name(app)
                            .address(host).port(port).payload(new ZookeeperInstance(id, app, metadata)).build());
                    System.out.println("registered");
                    System.out.flush();
                    while (System.in.read() != -1) {}
                    d.close();
                }
                break;
            }
            case "revision": {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                @SuppressWarnings("unchecked")
                Map<String, Object> doc = JSON.readValue(in, Map.class);
                @SuppressWarnings("unchecked")
                Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) doc.get("services");
                StringBuilder sb = new StringBuilder();
                sb.append(doc.get("app"));
                for (Map.Entry<String, Map<String, Object>> e : new TreeMap<>(services).entrySet()) {
                    Map<String, Object> s = e.getValue();
                    // ServiceInfo#toDescString: matchKey + port + path + new TreeMap<>(getParams())
                    sb.append(e.getKey()).append(((Number) s.get("port")).intValue()).append(s.get("path"))
                            .append(new TreeMap<>((Map<?, ?>) s.get("params")));
                }
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                StringBuilder hex = new StringBuilder();
                for (byte b : md5.digest(sb.toString().getBytes(StandardCharsets.UTF_8))) {
                    hex.append(String.format("%02x", b));
                }
                System.out.println(hex);
                break;
            }
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }
}
