// The Java side of tests/test_hessian2_wrapper.py: wrapper-mode messages exactly as a Java consumer and provider make
// them, with Caucho Hessian 4.0.38 (Debian's libhessian-java) and the protobuf encoding of Dubbo's
// TripleCustomerProtocolWrapper (field order and varints as its toByteArray writes them).
//
//   java org.example.peer.TriplePeer write   prints "name<TAB>hex" for every message below
//   java org.example.peer.TriplePeer read    reads a wrapper message (hex) per line and prints what Java reads from
//                                            it: serializeType, [argTypes or type], [each arg or the data]
package org.example.peer;

import com.caucho.hessian.io.Hessian2Input;
import com.caucho.hessian.io.Hessian2Output;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

class User implements Serializable {
    String name;
    int age;

    User() {}

    User(String name, int age) {
        this.name = name;
        this.age = age;
    }
}

public class TriplePeer {
    static byte[] hessian(Object value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Hessian2Output out = new Hessian2Output(bytes);
        out.writeObject(value);
        out.flush();
        return bytes.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, int value) {
        while ((value & ~0x7f) != 0) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    static void field(ByteArrayOutputStream out, int number, byte[] data) {
        varint(out, number << 3 | 2);
        varint(out, data.length);
        out.write(data, 0, data.length);
    }

    // TripleRequestWrapper.toByteArray: serializeType, then every arg, then every argType.
    static byte[] request(String serializeType, Object[] args, String[] argTypes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, 1, serializeType.getBytes(StandardCharsets.UTF_8));
        for (Object arg : args) field(out, 2, hessian(arg));
        for (String type : argTypes) field(out, 3, type.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    // TripleResponseWrapper.toByteArray: serializeType, data, type.
    static byte[] response(String serializeType, Object value, String type) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, 1, serializeType.getBytes(StandardCharsets.UTF_8));
        field(out, 2, hessian(value));
        field(out, 3, type.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    // GenericService.$invoke(method, parameterTypes, args) as a Java generic consumer sends it over Triple: a
    // wrapper of its three arguments, typed by $invoke's own parameters.
    static byte[] invoke(String method, String[] types, Object[] args) throws Exception {
        return request("hessian4", new Object[] {method, types, args},
                new String[] {String.class.getName(), String[].class.getName(), Object[].class.getName()});
    }

    static Map<String, byte[]> messages() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        String s = "java.lang.String";
        m.put("sayHello", request("hessian4", new Object[] {"world"}, new String[] {s}));
        m.put("sayHelloEmpty", request("hessian4", new Object[] {""}, new String[] {s}));
        m.put("sayHelloTimes", request("hessian4", new Object[] {"ann", 3}, new String[] {s, "int"}));
        m.put("register", request("hessian4", new Object[] {new User("ann", 30)}, new String[] {User.class.getName()}));
        m.put("names", request("hessian4", new Object[] {new String[] {"a", "b"}}, new String[] {String[].class.getName()}));
        m.put("fastjson2", request("fastjson2", new Object[] {"world"}, new String[] {s}));
        m.put("echo", request("hessian4", new Object[] {new User("ann", 30)}, new String[] {Object.class.getName()}));
        m.put("invoke", invoke("sayHello", new String[] {s}, new Object[] {"world"}));
        m.put("invokeEmpty", invoke("sayHello", new String[] {s}, new Object[] {""}));
        m.put("invokeTimes", invoke("sayHello", new String[] {s, "int"}, new Object[] {"ann", 3}));
        Map<String, Object> user = new HashMap<>();  // a POJO as a generic consumer passes it (PojoUtils' form)
        user.put("class", User.class.getName());
        user.put("name", "ann");
        user.put("age", 30);
        m.put("invokeUserMap", invoke("register", new String[] {User.class.getName()}, new Object[] {user}));
        m.put("invokeUser", invoke("register", new String[] {User.class.getName()}, new Object[] {new User("ann", 30)}));
        m.put("invokeUnknown", invoke("sayHi", new String[] {s}, new Object[] {"world"}));
        m.put("reply", response("hessian4", "Hello, world!", s));
        m.put("replyUser", response("hessian4", new User("ann", 30), User.class.getName()));
        m.put("thrown", response("hessian4", new IllegalArgumentException("name must not be empty"), s));
        return m;
    }

    // -- reading -------------------------------------------------------------------------------------------

    static int varint(ByteBuffer in) {
        int value = 0;
        for (int shift = 0; ; shift += 7) {
            int b = in.get() & 0xff;
            value |= (b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    static List<Object[]> fields(byte[] data) {
        List<Object[]> out = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(data);
        while (in.hasRemaining()) {
            int tag = varint(in);
            if ((tag & 7) != 2) throw new IllegalStateException("wire type " + (tag & 7));
            byte[] bytes = new byte[varint(in)];
            in.get(bytes);
            out.add(new Object[] {tag >> 3, bytes});
        }
        return out;
    }

    static Object unhessian(byte[] data) throws Exception {
        Hessian2Input in = new Hessian2Input(new ByteArrayInputStream(data));
        return in.readObject();
    }

    static String describe(Object v) throws Exception {
        if (v == null) return "null";
        if (v instanceof Throwable) {
            Throwable t = (Throwable) v;
            return "throws " + t.getClass().getName() + ": " + t.getMessage()
                    + " (cause " + (t.getCause() == null ? "none" : t.getCause().getClass().getName())
                    + ", " + t.getStackTrace().length + " frames"
                    + (t.getStackTrace().length == 0 ? "" : ", top " + t.getStackTrace()[0]) + ")";
        }
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v.getClass().getSimpleName() + ":" + v;
        }
        if (v.getClass().isArray()) {
            StringBuilder sb = new StringBuilder(v.getClass().getComponentType().getSimpleName() + "[]{");
            for (int i = 0; i < Array.getLength(v); i++) sb.append(i > 0 ? ", " : "").append(describe(Array.get(v, i)));
            return sb.append("}").toString();
        }
        if (v instanceof Map) return v.getClass().getSimpleName() + ":" + new TreeMap<>((Map<?, ?>) v);  // keys sorted
        if (v instanceof List) return v.getClass().getSimpleName() + ":" + v;
        StringBuilder sb = new StringBuilder(v.getClass().getName() + "(");
        boolean first = true;
        for (Field f : v.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            f.setAccessible(true);
            sb.append(first ? "" : ", ").append(f.getName()).append("=").append(describe(f.get(v)));
            first = false;
        }
        return sb.append(")").toString();
    }

    static String read(byte[] data) throws Exception {
        StringBuilder sb = new StringBuilder();
        List<String> types = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (Object[] f : fields(data)) {
            int number = (Integer) f[0];
            byte[] bytes = (byte[]) f[1];
            if (number == 1) sb.append(new String(bytes, StandardCharsets.UTF_8));
            else if (number == 2) values.add(describe(unhessian(bytes)));
            else if (number == 3) types.add(new String(bytes, StandardCharsets.UTF_8));
        }
        return sb.append(" ").append(types).append(" ").append(values).toString();
    }

    static String hex(byte[] data) {
        StringBuilder sb = new StringBuilder(data.length * 2);
        for (byte b : data) sb.append(String.format("%02x", b & 0xff));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    public static void main(String[] args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset();
        if (args.length == 1 && args[0].equals("write")) {
            for (Map.Entry<String, byte[]> e : messages().entrySet()) {
                System.out.println(e.getKey() + "\t" + hex(e.getValue()));
            }
        } else if (args.length == 1 && args[0].equals("read")) {
            BufferedReader lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = lines.readLine()) != null; ) {
                String result;
                try {
                    result = read(unhex(line.trim()));
                } catch (Exception e) {
                    result = "ERROR: " + e;
                }
                System.out.println(result);
            }
        } else {
            System.err.println("usage: TriplePeer write|read");
            System.exit(2);
        }
    }
}
