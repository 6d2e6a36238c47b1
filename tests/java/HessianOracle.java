// The Java side of tests/test_hessian2_java.py: Caucho Hessian 4.0.38 (Debian's libhessian-java) as the oracle.
//
//   java org.example.HessianOracle encode   prints "name<TAB>hex<TAB>description" for every case below: the bytes
//                                           Java writes, and what Java reads back from them
//   java org.example.HessianOracle decode   reads "name<TAB>hex" lines, prints "name<TAB>description" of each
//
// A description is a canonical dump of a Java value (types, values, sharing as @n), so Python can check that
// Java reads Python's bytes to exactly what it reads from its own.
package org.example;

import com.alibaba.com.caucho.hessian.io.java8.DurationHandle;
import com.alibaba.com.caucho.hessian.io.java8.InstantHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalDateTimeHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalTimeHandle;
import com.caucho.hessian.io.AbstractHessianOutput;
import com.caucho.hessian.io.AbstractSerializerFactory;
import com.caucho.hessian.io.BigDecimalDeserializer;
import com.caucho.hessian.io.Deserializer;
import com.caucho.hessian.io.Hessian2Input;
import com.caucho.hessian.io.Hessian2Output;
import com.caucho.hessian.io.Serializer;
import com.caucho.hessian.io.SerializerFactory;
import com.caucho.hessian.io.StringValueSerializer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

class User implements Serializable {
    String name;
    int age;

    User() {}

    User(String name, int age) {
        this.name = name;
        this.age = age;
    }
}

enum Color { RED, GREEN, BLUE }

class Node implements Serializable {
    String name;
    Node next;
}

class Order implements Serializable {
    long id;
    User buyer;
    List<String> tags;
    double total;
    Color color;
}

class Prims implements Serializable {
    boolean flag;
    byte b;
    short s;
    int i;
    long l;
    float f;
    double d;
    char c;
    String str;
    Date date;
    BigDecimal price;
    byte[] data;
    int[] ints;
    String[] names;
}

class Blob implements Serializable {
    String name;
    byte[] data;
}

class Event implements Serializable {
    String name;
    LocalDate day;
    LocalTime opens;
    LocalDateTime at;
    Instant stamp;
    Duration length;
}

public class HessianOracle {
    static final Map<String, Object> CASES = new LinkedHashMap<>();

    static void add(String name, Object value) {
        CASES.put(name, value);
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    static String repeat(String s, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(s);
        return sb.toString();
    }

    static void cases() {
        add("null", null);
        add("true", true);
        add("false", false);
        for (int v : new int[] {0, 1, -16, -17, 47, 48, -2048, -2049, 2047, 2048, -262144, -262145, 262143, 262144,
                -100000, Integer.MIN_VALUE, Integer.MAX_VALUE}) add("int " + v, v);
        for (long v : new long[] {0, -8, -9, 15, 16, -2048, -2049, 2047, 2048, -262144, -262145, 262143, 262144,
                Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE - 1L, Integer.MAX_VALUE + 1L, 1L << 40,
                Long.MIN_VALUE, Long.MAX_VALUE}) add("long " + v, v);
        for (double v : new double[] {0.0, -0.0, 1.0, -1.0, 127.0, -128.0, 128.0, -129.0, 32767.0, -32768.0, 32768.0,
                3.25, 0.001, -0.5, 2147483.647, 0.1, 1e10, 1e300, -1.5e-300, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE}) add("double " + v, v);
        add("char x", 'x');
        add("char e-acute", '\u00e9');
        add("date ms", new Date(1700000000000L));
        add("date minute", new Date(1699999980000L));
        add("date epoch", new Date(0L));
        add("date before epoch", new Date(-60000L));
        add("date far", new Date(60000L * (1L << 31)));
        add("string empty", "");
        add("string hello", "h\u00e9llo \u2713");
        add("string emoji", "hi \ud83d\ude00");
        add("string nul", "a\u0000b");
        add("string lone surrogate", "x\ud800y");
        add("string 31", repeat("a", 31));
        add("string 32", repeat("b", 32));
        add("string 1023", repeat("c", 1023));
        add("string 1024", repeat("d", 1024));
        add("string 32768", repeat("e", 32768));
        add("string 32769", repeat("f", 32769));
        add("string 70000 non-ascii", repeat("\u00e9\u4e2d", 35000));
        add("string pair at chunk edge", repeat("g", 32767) + "\ud83d\ude00" + repeat("h", 10));
        for (int n : new int[] {0, 15, 16, 1023, 1024, 8189, 8190, 20000, 100000}) add("bytes " + n, pattern(n));
        add("list empty", new ArrayList<>());
        add("list ab", new ArrayList<>(Arrays.asList("a", "b")));
        add("list 8", new ArrayList<>(Arrays.asList(0, 1, 2, 3, 4, 5, 6, 7)));
        add("list mixed", new ArrayList<>(Arrays.asList(1, "a", null, true, 2.5, 1L << 40)));
        add("list nested", new ArrayList<>(Arrays.asList(
                new ArrayList<>(Arrays.asList(1)), new ArrayList<>(Arrays.asList(2, new ArrayList<>(Arrays.asList(3)))))));
        add("list linked", new LinkedList<>(Arrays.asList("x", "y")));
        HashMap<String, Object> k1 = new HashMap<>();
        k1.put("k", 1);
        add("map k1", k1);
        add("map empty", new HashMap<>());
        HashMap<Integer, String> intKeys = new HashMap<>();
        intKeys.put(1, "a");
        intKeys.put(2, "b");
        add("map int keys", intKeys);
        HashMap<String, Object> nested = new HashMap<>();
        HashMap<String, Object> inner = new HashMap<>();
        inner.put("b", new ArrayList<>(Arrays.asList(1)));
        nested.put("a", inner);
        add("map nested", nested);
        LinkedHashMap<String, Object> linked = new LinkedHashMap<>();
        linked.put("z", 1);
        linked.put("a", 2);
        add("map linked", linked);
        add("list of Long", new ArrayList<>(Arrays.asList(1L, 2L, 300L)));
        add("list of list of Long", new ArrayList<>(Arrays.asList(
                new ArrayList<>(Arrays.asList(1L)), new ArrayList<>(Arrays.asList(2L, 3L)))));
        HashMap<String, Long> longs = new HashMap<>();
        longs.put("a", 1L);
        add("map String to Long", longs);
        HashMap<Long, List<Integer>> lists = new HashMap<>();
        lists.put(5L, new ArrayList<>(Arrays.asList(1)));
        add("map Long to list of Integer", lists);
        add("set one", new HashSet<>(Arrays.asList("x")));
        add("set of Long", new HashSet<>(Arrays.asList(7L)));
        add("set empty", new HashSet<>());
        add("set sorted", new TreeSet<>(Arrays.asList("a", "b")));
        add("array String[]", new String[] {"a", "b"});
        add("array String[] empty", new String[0]);
        add("array int[]", new int[] {1, 2, 3});
        add("array int[] 10", new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        add("array long[]", new long[] {1, 1L << 40});
        add("array short[]", new short[] {-1, 300});
        add("array boolean[]", new boolean[] {true, false});
        add("array double[]", new double[] {0.5, 1e10});
        add("array float[]", new float[] {0.1f, 2f});
        add("array char[]", new char[] {'h', 'i'});
        add("array Integer[]", new Integer[] {1, null});
        add("array Object[]", new Object[] {1, "a"});
        add("array Date[]", new Date[] {new Date(0L)});
        add("array User[]", new User[] {new User("ann", 30)});
        add("array String[][]", new String[][] {{"a"}, {"b", "c"}});
        add("array byte[][]", new byte[][] {{1}, {2}});
        add("pojo user", new User("ann", 30));
        add("pojo two users", new ArrayList<>(Arrays.asList(new User("ann", 30), new User("bob", 40))));
        Order order = new Order();
        order.id = 7;
        order.buyer = new User("cy", 5);
        order.tags = new ArrayList<>(Arrays.asList("new", "gift"));
        order.total = 19.99;
        order.color = Color.GREEN;
        add("pojo nested", order);
        Prims p = new Prims();
        p.flag = true;
        p.b = -3;
        p.s = 1000;
        p.i = 100000;
        p.l = 5;
        p.f = 0.1f;
        p.d = 0.1;
        p.c = 'z';
        p.str = "s";
        p.date = new Date(1700000000000L);
        p.price = new BigDecimal("9.99");
        p.data = pattern(3);
        p.ints = new int[] {4, 5};
        p.names = new String[] {"n"};
        add("pojo field types", p);
        add("pojo nulls", new Prims());
        Blob blob = new Blob();
        blob.name = "file";
        blob.data = pattern(20000);
        add("pojo chunked bytes", blob);
        add("enum", Color.RED);
        add("enum repeated", new ArrayList<>(Arrays.asList(Color.RED, Color.RED, Color.BLUE)));
        add("enum 17 classes", new ArrayList<>(Arrays.asList(
                java.util.concurrent.TimeUnit.SECONDS, java.time.DayOfWeek.MONDAY, java.time.Month.MAY,
                java.math.RoundingMode.UP, Thread.State.NEW, java.lang.annotation.RetentionPolicy.RUNTIME,
                java.lang.annotation.ElementType.FIELD, java.time.temporal.ChronoUnit.DAYS,
                java.time.temporal.ChronoField.YEAR, java.time.format.TextStyle.FULL,
                java.time.format.ResolverStyle.STRICT, java.time.format.SignStyle.NEVER,
                java.time.format.FormatStyle.SHORT, java.nio.file.AccessMode.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS,
                java.text.Normalizer.Form.NFC, java.util.Locale.Category.FORMAT, Color.BLUE)));
        add("decimal", new BigDecimal("123.4500"));
        add("decimal exponent", new BigDecimal("1E+10"));
        add("decimal negative small", new BigDecimal("-0.000001"));
        User shared = new User("sam", 1);
        add("ref shared object", new ArrayList<>(Arrays.asList(shared, shared)));
        Node self = new Node();
        self.name = "loop";
        self.next = self;
        add("ref object cycle", self);
        Node a = new Node();
        Node b = new Node();
        a.name = "a";
        b.name = "b";
        a.next = b;
        b.next = a;
        add("ref two object cycle", a);
        ArrayList<Object> selfList = new ArrayList<>();
        selfList.add("x");
        selfList.add(selfList);
        add("ref list cycle", selfList);
        HashMap<String, Object> selfMap = new HashMap<>();
        selfMap.put("self", selfMap);
        add("ref map cycle", selfMap);
        ArrayList<Object> sharedList = new ArrayList<>(Arrays.asList(1));
        HashMap<String, Object> holder = new HashMap<>();
        holder.put("a", sharedList);
        holder.put("b", sharedList);
        add("ref shared list", holder);
        add("time LocalDate", LocalDate.of(2024, 1, 15));
        add("time LocalDate first day", LocalDate.of(1, 1, 1));
        add("time LocalDate last day", LocalDate.of(9999, 12, 31));
        add("time LocalDate[]", new LocalDate[] {LocalDate.of(2024, 2, 29)});
        add("time LocalTime", LocalTime.of(10, 15, 30, 123456000));
        add("time LocalTime midnight", LocalTime.MIDNIGHT);
        add("time LocalTime last microsecond", LocalTime.of(23, 59, 59, 999999000));
        add("time LocalTime whole hours shared", new ArrayList<>(Arrays.asList(
                LocalTime.of(10, 0), LocalTime.parse("10:00"), LocalTime.of(11, 0))));
        add("time LocalDateTime", LocalDateTime.of(2024, 1, 15, 10, 15, 30, 123456000));
        add("time LocalDateTime list", new ArrayList<>(Arrays.asList(
                LocalDateTime.of(2024, 1, 15, 9, 0), LocalDateTime.of(2024, 1, 16, 9, 0),
                LocalDateTime.of(2024, 1, 16, 9, 30), LocalDate.of(2024, 1, 17).atStartOfDay())));
        add("time Instant", Instant.ofEpochSecond(1705313730L, 123456000));
        add("time Instant before epoch", Instant.ofEpochSecond(-1, 500000000));
        add("time Instant from another zone", Instant.ofEpochSecond(1705313730L));
        add("time Instant epoch shared", new ArrayList<>(Arrays.asList(Instant.EPOCH, Instant.ofEpochMilli(0))));
        add("time Duration", Duration.ofSeconds(86405, 250000));
        add("time Duration negative", Duration.ofNanos(-1000));
        add("time Duration zero shared", new ArrayList<>(Arrays.asList(Duration.ZERO, Duration.ofMillis(0))));
        Event event = new Event();
        event.name = "launch";
        event.day = LocalDate.of(2024, 1, 15);
        event.opens = LocalTime.of(9, 0);
        event.at = LocalDateTime.of(2024, 1, 15, 9, 0);
        event.stamp = Instant.ofEpochSecond(1705313730L);
        event.length = Duration.ofMinutes(90);
        add("time pojo", event);
    }

    // -- encoding --------------------------------------------------------------------------------------

    /**
     * Caucho 4.0.38 as is, except BigDecimal and java.time (JAVA_TIME below): on JDK 17 Caucho writes BigDecimal's
     * private fields (scale, and intVal left null), a lossy form; Dubbo's hessian-lite writes it with
     * StringValueSerializer (class java.math.BigDecimal, one field "value"), and so does this oracle. Boxed Short,
     * Byte and Float are left out of the cases: Caucho wraps them in its own ShortHandle/ByteHandle/FloatHandle
     * classes, which Dubbo's hessian-lite does not.
     */
    static final SerializerFactory FACTORY = new SerializerFactory();

    /**
     * java.time values as Dubbo's hessian-lite writes them (its default, not compact, mode): writeReplace with
     * the value's handle (tests/java/com/alibaba/.../java8, stand-ins of hessian-lite's), the value written again
     * as a ref to that handle. Not Caucho's AbstractSerializer: it gives the value itself a ref number first,
     * which hessian-lite's does not.
     */
    static final Serializer JAVA_TIME = new Serializer() {
        @Override
        public void writeObject(Object value, AbstractHessianOutput out) throws IOException {
            if (out.getRef(value) >= 0) {
                out.addRef(value); // writes the ref to the value's handle
                return;
            }
            Object handle;
            if (value instanceof LocalDate) handle = new LocalDateHandle((LocalDate) value);
            else if (value instanceof LocalTime) handle = new LocalTimeHandle((LocalTime) value);
            else if (value instanceof LocalDateTime) handle = new LocalDateTimeHandle((LocalDateTime) value);
            else if (value instanceof Instant) handle = new InstantHandle((Instant) value);
            else handle = new DurationHandle((Duration) value);
            out.writeObject(handle);
            out.replaceRef(handle, value);
        }
    };

    static {
        FACTORY.addFactory(new AbstractSerializerFactory() {
            @Override
            public Serializer getSerializer(Class cl) {
                if (cl == LocalDate.class || cl == LocalTime.class || cl == LocalDateTime.class || cl == Instant.class
                        || cl == Duration.class) return JAVA_TIME;
                return cl == BigDecimal.class ? StringValueSerializer.SER : null;
            }

            @Override
            public Deserializer getDeserializer(Class cl) {
                return cl == BigDecimal.class ? new BigDecimalDeserializer() : null;
            }
        });
    }

    static byte[] encode(Object value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Hessian2Output out = new Hessian2Output(bytes);
        out.setSerializerFactory(FACTORY);
        out.writeObject(value);
        out.close();
        return bytes.toByteArray();
    }

    /** An input that fails instead of returning -1: Caucho would read past the end as 0xff bytes. */
    static final class Guarded extends InputStream {
        private final byte[] data;
        private int pos;

        Guarded(byte[] data) {
            this.data = data;
        }

        @Override
        public int read() throws EOFException {
            if (pos >= data.length) throw new EOFException("read past the end of the input");
            return data[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws EOFException {
            if (len == 0) return 0;
            if (pos >= data.length) throw new EOFException("read past the end of the input");
            int n = Math.min(len, data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    static Object decode(byte[] data) throws Exception {
        Hessian2Input in = new Hessian2Input(new Guarded(data));
        in.setSerializerFactory(FACTORY);
        Object value = in.readObject();
        try {
            int next = in.read();
            throw new IllegalStateException("bytes left after the value, next 0x" + Integer.toHexString(next));
        } catch (EOFException expected) {
            return value;
        }
    }

    // -- descriptions ----------------------------------------------------------------------------------

    static String digest(byte[] data) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) sb.append(String.format("%02x", d[i]));
        return sb.toString();
    }

    static String describe(Object v, IdentityHashMap<Object, Integer> seen) throws Exception {
        if (v == null) return "null";
        if (v instanceof Boolean) return "bool:" + v;
        if (v instanceof Integer) return "int:" + v;
        if (v instanceof Long) return "long:" + v;
        if (v instanceof Short) return "short:" + v;
        if (v instanceof Byte) return "byte:" + v;
        if (v instanceof Double) {
            double d = (Double) v;
            return "double:" + Long.toHexString(Double.doubleToLongBits(d)) + "(" + d + ")";
        }
        if (v instanceof Float) return "float:" + Integer.toHexString(Float.floatToIntBits((Float) v)) + "(" + v + ")";
        if (v instanceof Character) return "char:" + Integer.toHexString((Character) v);
        if (v instanceof String) {
            String s = (String) v;
            if (s.length() > 64) return "str(" + s.length() + ")#" + digest(s.getBytes(StandardCharsets.UTF_16BE));
            StringBuilder sb = new StringBuilder("str:");
            for (char c : s.toCharArray()) {
                if (c >= 0x20 && c < 0x7f && c != '\\') sb.append(c);
                else sb.append(String.format("\\u%04x", (int) c));
            }
            return sb.toString();
        }
        if (v instanceof byte[]) return "bytes(" + ((byte[]) v).length + ")#" + digest((byte[]) v);
        if (v instanceof Date) return "date:" + ((Date) v).getTime();
        if (v instanceof BigDecimal) return "decimal:" + v;
        if (v instanceof Enum) return "enum:" + ((Enum<?>) v).getDeclaringClass().getName() + "." + ((Enum<?>) v).name();
        if (v instanceof LocalDate || v instanceof LocalTime || v instanceof LocalDateTime || v instanceof Instant
                || v instanceof Duration) return v.getClass().getSimpleName() + ":" + v;
        Integer number = seen.get(v);
        if (number != null) return "@" + number;
        seen.put(v, seen.size());
        StringBuilder sb = new StringBuilder();
        if (v.getClass().isArray()) {
            sb.append(v.getClass().getComponentType().getName()).append("[]{");
            for (int i = 0; i < Array.getLength(v); i++) {
                if (i > 0) sb.append(", ");
                sb.append(describe(Array.get(v, i), seen));
            }
            return sb.append("}").toString();
        }
        if (v instanceof Collection) {
            sb.append(v.getClass().getName()).append("[");
            boolean first = true;
            for (Object item : (Collection<?>) v) {
                if (!first) sb.append(", ");
                first = false;
                sb.append(describe(item, seen));
            }
            return sb.append("]").toString();
        }
        if (v instanceof Map) {
            sb.append(v.getClass().getName()).append("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                sb.append(describe(e.getKey(), seen)).append("=").append(describe(e.getValue(), seen));
            }
            return sb.append("}").toString();
        }
        sb.append(v.getClass().getName()).append("(");
        boolean first = true;
        for (Field f : v.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            f.setAccessible(true);
            if (!first) sb.append(", ");
            first = false;
            sb.append(f.getName()).append("=").append(describe(f.get(v), seen));
        }
        return sb.append(")").toString();
    }

    static String describe(Object v) throws Exception {
        return describe(v, new IdentityHashMap<>());
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
        java.util.logging.LogManager.getLogManager().reset(); // Caucho logs unknown classes; the output is data
        if (args.length == 1 && args[0].equals("encode")) {
            cases();
            for (Map.Entry<String, Object> e : CASES.entrySet()) {
                byte[] bytes = encode(e.getValue());
                System.out.println(e.getKey() + "\t" + hex(bytes) + "\t" + describe(decode(bytes)));
            }
        } else if (args.length == 1 && args[0].equals("decode")) {
            BufferedReader lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = lines.readLine()) != null; ) {
                String[] parts = line.split("\t", -1);
                String result;
                try {
                    result = describe(decode(unhex(parts[1])));
                } catch (Exception e) {
                    result = "ERROR: " + e;
                }
                System.out.println(parts[0] + "\t" + result);
            }
        } else {
            System.err.println("usage: HessianOracle encode|decode");
            System.exit(2);
        }
    }
}
